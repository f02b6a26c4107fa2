import Foundation
import GRDB
import RapportCore
import RapportStore
import Testing

/// The store's side of planner depth: touchpoints, stale skips and the lateness bound on claims.
@Suite struct PlannerStoreTests {
    @Test(arguments: Backend.available) func touchpointsReachThePlannerAsTheLatestPerContact(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        for offset in [0.0, 86_400, 3600] {
            try store.recordTouchpoint(
                Touchpoint(
                    contactID: "c1", at: Sample.now.addingTimeInterval(offset), note: "call", actor: "ada",
                    recordedAt: Sample.now))
        }
        #expect(try store.planningState().history.touchpoints == ["c1": Sample.now.addingTimeInterval(86_400)])
        #expect(try store.touchpoints(contactID: "c1").map(\.at).first == Sample.now.addingTimeInterval(86_400))
        #expect(try store.touchpoints(contactID: "c2").isEmpty)
    }

    @Test(arguments: Backend.available) func aMessageBeyondItsLatenessIsNotClaimedAndCanBeSkippedAsStale(
        backend: Backend
    ) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let late = Sample.planned("c1", due: Sample.now.addingTimeInterval(-2 * 86_400))
        let fresh = Sample.planned("c2", due: Sample.now.addingTimeInterval(-3600))
        var changes = OutboxChanges()
        changes.insertions = [late, fresh].map {
            NewMessage(planned: $0, content: Sample.content(), requiresApproval: false, maxLateness: 86_400)
        }
        try store.apply(changes, actor: "planner", at: Sample.now)
        let claimed = try store.claimDue(now: Sample.now, limit: 10, owner: "me", leaseSeconds: 60)
        #expect(claimed.map(\.id) == [fresh.id])
        var skip = OutboxChanges()
        skip.skips = [Skip(id: late.id, reason: "stale: too late")]
        #expect(try store.apply(skip, actor: "planner", at: Sample.now).skipped == 1)
        let entry = try #require(try store.planningState().history.entries(for: "c1").first)
        #expect(entry.state == .skipped)
        #expect(entry.skippedAsStale)
        #expect(try store.message(id: late.id)?.reason == "stale: too late")
    }

    /// The planning marker changes with every change of a message, an audit event or not (a
    /// claim writes none), and only then: a plan that is still current is not made again.
    /// (PostgreSQL's marker is the latest `updated_at`, so each change here is a second later.)
    @Test(arguments: Backend.available) func thePlanningMarkerChangesWithEveryMessageChange(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        try expectTheMarkerFollowsMessageChanges(temporary.store)
    }

    /// A store from before the counter (an index on `updated_at` then) is upgraded: the index
    /// goes, and the marker still follows every change.
    @Test func aStoreWithTheUpdateIndexIsUpgradedToTheCounter() throws {
        let temporary = try TemporaryStore(.sqlite)
        let queue = try DatabaseQueue(path: temporary.location)
        try queue.write { db in
            try db.execute(
                sql: """
                    DROP TRIGGER message_changes;
                    DELETE FROM setting WHERE key = 'message_changes';
                    CREATE INDEX message_by_update ON message (updated_at);
                    DELETE FROM grdb_migrations WHERE identifier LIKE 'v9-planner%';
                    """)
        }
        try queue.close()
        let upgraded = try Outbox(location: temporary.location)
        try expectTheMarkerFollowsMessageChanges(upgraded)
        let reader = try DatabaseQueue(path: temporary.location)
        let indexes = try reader.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'message'")
        }
        #expect(!indexes.contains("message_by_update"))
        #expect(indexes.contains("message_by_contact"))
    }

    private func expectTheMarkerFollowsMessageChanges(_ store: Outbox) throws {
        var markers = [try store.planningMarker()]
        /// Notes the marker after `change`, which must differ from every one before.
        func expectChange(_ what: String, _ change: () throws -> Void) throws {
            try change()
            let marker = try store.planningMarker()
            #expect(!markers.contains(marker), "\(what) did not change the marker")
            markers.append(marker)
        }
        let planned = Sample.planned("c1", due: Sample.now.addingTimeInterval(-60))
        try expectChange("a new message") {
            var changes = OutboxChanges()
            changes.insertions = [NewMessage(planned: planned, content: Sample.content(), requiresApproval: false)]
            try store.apply(changes, actor: "planner", at: Sample.now)
        }
        #expect(try store.planningMarker() == markers.last, "reading changed the marker")
        try expectChange("a claim") {
            let claimed = try store.claimDue(
                now: Sample.now.addingTimeInterval(1), limit: 10, owner: "me", leaseSeconds: 60)
            #expect(claimed.count == 1)
        }
        try expectChange("a claim given back") {
            try store.returnUnstarted([planned.id], owner: "me", at: Sample.now.addingTimeInterval(2))
        }
        try expectChange("a hold") {
            _ = try store.perform(
                .hold, on: [planned.id], actor: "ada", note: nil, at: Sample.now.addingTimeInterval(3))
        }
        #expect(try store.planningMarker() == markers.last)
    }
}
