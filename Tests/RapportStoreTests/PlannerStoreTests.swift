import Foundation
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
}
