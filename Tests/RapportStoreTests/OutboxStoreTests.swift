import Foundation
import RapportCore
import RapportStore
import Testing

/// The outbox contract. Written against `OutboxStore`, so every backend runs the same suite.
@Suite struct OutboxStoreTests {
    @Test(arguments: Backend.available) func storesPlansOnceAndReportsThemToThePlanner(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let messages = [Sample.planned("a"), Sample.planned("b", due: Sample.now.addingTimeInterval(3600))]
        try Sample.insert(messages, into: store)
        // The same keys again (a second planner, a replay) store nothing twice.
        try Sample.insert(messages, into: store)
        let listed = try store.messages(matching: MessageFilter())
        #expect(listed.map(\.id) == messages.map(\.id))
        #expect(listed.first?.content.subject == "Hello")
        #expect(listed.first?.reason == "test reason")
        let state = try store.planningState()
        #expect(state.history.entries(for: "a").map(\.key) == [messages[0].key])
        #expect(state.sourceHashes[messages[0].id]?.text == "h1")
        #expect(try store.events(messageID: messages[0].id).map(\.action) == ["plan"])
    }

    @Test(arguments: Backend.available) func anUnrenderedMessageIsNeverClaimedUntilRendered(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let due = Sample.planned("a")
        var changes = OutboxChanges()
        let bare = MessageContent.unrendered(
            sender: "Firm <firm@example.com>", recipientName: "Name a", recipientAddress: "a@example.com")
        changes.insertions = [NewMessage(planned: due, content: bare, requiresApproval: false)]
        try store.apply(changes, actor: "planner", at: Sample.now)
        let state = try store.planningState()
        #expect(state.sourceHashes.count == 0 && state.unrenderedDue.count == 1)
        #expect(state.unrenderedDue[due.id] == due.dueAt)
        #expect(try store.claimDue(now: Sample.now, limit: 10, owner: "one", leaseSeconds: 60).isEmpty)

        // Rendered: claimable, with no audit entry for the rendering; a second render changes nothing.
        var render = OutboxChanges()
        render.renders = [(due.id, Sample.content(subject: "Now rendered"))]
        #expect(try store.apply(render, actor: "planner", at: Sample.now).rendered == 1)
        #expect(try store.apply(render, actor: "planner", at: Sample.now).rendered == 0)
        let rendered = try store.planningState()
        #expect(rendered.sourceHashes.count == 1 && rendered.sourceHashes[due.id]?.text == "h1")
        let claimed = try store.claimDue(now: Sample.now, limit: 10, owner: "one", leaseSeconds: 60)
        #expect(claimed.map(\.content.subject) == ["Now rendered"])
        #expect(try store.events(messageID: due.id).map(\.action) == ["plan"])
    }

    @Test(arguments: Backend.available) func claimsOnlyDueMessagesOnceAndRecordsOutcomes(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let due = Sample.planned("a")
        let later = Sample.planned("b", due: Sample.now.addingTimeInterval(3600))
        try Sample.insert([due, later], into: store)
        let claimed = try store.claimDue(now: Sample.now, limit: 10, owner: "one", leaseSeconds: 60)
        #expect(claimed.map(\.id) == [due.id])
        #expect(claimed.first?.state == .sending)
        #expect(claimed.first?.attempts == 1)
        // A second daemon finds nothing to claim while the lease holds.
        #expect(try store.claimDue(now: Sample.now, limit: 10, owner: "two", leaseSeconds: 60).isEmpty)

        try store.record(
            .retry(detail: "451 busy", retryAt: Sample.now.addingTimeInterval(120)), for: due.id, owner: "one",
            transport: "smtp", startedAt: Sample.now, latency: .milliseconds(12), at: Sample.now)
        var stored = try #require(try store.message(id: due.id))
        #expect(stored.state == .retryWait)
        #expect(stored.lastError == "451 busy")
        #expect(
            try store.claimDue(now: Sample.now.addingTimeInterval(60), limit: 10, owner: "one", leaseSeconds: 60)
                .isEmpty)
        let again = try store.claimDue(
            now: Sample.now.addingTimeInterval(121), limit: 10, owner: "one", leaseSeconds: 60)
        #expect(again.map(\.id) == [due.id])
        try store.record(
            .delivered(detail: "250 OK"), for: due.id, owner: "one", transport: "smtp", startedAt: Sample.now,
            latency: .milliseconds(5), at: Sample.now.addingTimeInterval(121))
        stored = try #require(try store.message(id: due.id))
        #expect(stored.state == .sent)
        #expect(stored.attempts == 2)
        #expect(stored.sentAt == Sample.now.addingTimeInterval(121))
        #expect(try store.attempts(messageID: due.id).map(\.outcome) == ["transient", "delivered"])
        #expect(try store.attempts(messageID: due.id).map(\.latencyMilliseconds) == [12, 5])
    }

    @Test(arguments: Backend.available) func anExpiredLeaseIsClaimedAgainAndALateResultDoesNotOverwrite(
        backend: Backend
    ) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let message = Sample.planned("a")
        try Sample.insert([message], into: store)
        _ = try store.claimDue(now: Sample.now, limit: 10, owner: "dead", leaseSeconds: 30)
        let taken = try store.claimDue(
            now: Sample.now.addingTimeInterval(31), limit: 10, owner: "alive", leaseSeconds: 30)
        #expect(taken.map(\.id) == [message.id])
        #expect(taken.first?.attempts == 2)  // the interrupted attempt counts
        // The first owner wakes up and reports: the state stays with the new owner.
        try store.record(
            .failed(detail: "550"), for: message.id, owner: "dead", transport: "smtp", startedAt: Sample.now,
            latency: .zero, at: Sample.now.addingTimeInterval(32))
        #expect(try store.message(id: message.id)?.state == .sending)
        try store.record(
            .delivered(detail: "250"), for: message.id, owner: "alive", transport: "smtp", startedAt: Sample.now,
            latency: .zero, at: Sample.now.addingTimeInterval(33))
        #expect(try store.message(id: message.id)?.state == .sent)
    }

    @Test(arguments: Backend.available) func releasingLeasesRetriesInterruptedSendsAtOnce(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        try Sample.insert([Sample.planned("a"), Sample.planned("b")], into: store)
        _ = try store.claimDue(now: Sample.now, limit: 10, owner: "one", leaseSeconds: 600)
        #expect(try store.releaseLeases(owner: nil, at: Sample.now) == 2)
        let retried = try store.claimDue(now: Sample.now, limit: 10, owner: "two", leaseSeconds: 600)
        #expect(retried.count == 2)
    }

    @Test(arguments: Backend.available) func operatorActionsFollowTheStateMachineAndAreAudited(backend: Backend) throws
    {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let message = Sample.planned("a", state: .pendingApproval)
        try Sample.insert([message], into: store, approval: true)
        let id = message.id
        // Nothing pending approval is ever claimed.
        #expect(try store.claimDue(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60).isEmpty)

        #expect(
            try store.perform(.release, on: [id], actor: "alice", note: nil, at: Sample.now).first?.succeeded == false)
        #expect(
            try store.perform(.approve, on: [id], actor: "alice", note: nil, at: Sample.now).first?.to == .scheduled)
        #expect(try store.perform(.hold, on: [id], actor: "bob", note: nil, at: Sample.now).first?.to == .held)
        #expect(try store.claimDue(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60).isEmpty)
        // Released after approval: straight back to scheduled.
        #expect(try store.perform(.release, on: [id], actor: "bob", note: nil, at: Sample.now).first?.to == .scheduled)
        #expect(
            try store.perform(.cancel, on: [id], actor: "carol", note: "client asked", at: Sample.now).first?.to
                == .cancelled)
        let refused = try store.perform(
            .cancel, on: [id, "0000000000000000"], actor: "carol", note: nil, at: Sample.now)
        #expect(refused[0].refusal?.contains("it is cancelled") == true)
        #expect(refused[1].refusal == "no message with id 0000000000000000")
        let trail = try store.events(messageID: id)
        #expect(trail.map(\.action) == ["plan", "approve", "hold", "release", "cancel"])
        #expect(trail.map(\.actor) == ["planner", "alice", "bob", "bob", "carol"])
        #expect(trail.last?.note == "client asked")
        #expect(try store.message(id: id)?.closedBy == "carol")
    }

    @Test(arguments: Backend.available) func cancelRacesSafelyWithDispatch(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let message = Sample.planned("a")
        try Sample.insert([message], into: store)
        _ = try store.claimDue(now: Sample.now, limit: 1, owner: "d", leaseSeconds: 60)
        let result = try store.perform(.cancel, on: [message.id], actor: "op", note: nil, at: Sample.now)
        #expect(result.first?.refusal?.contains("sending") == true)
    }

    @Test(arguments: Backend.available) func planChangesRetimeCancelAndRefreshOnlyOpenMessages(backend: Backend) throws
    {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let open = Sample.planned("a", state: .pendingApproval)
        let sent = Sample.planned("b")
        try Sample.insert([open], into: store, approval: true)
        try Sample.insert([sent], into: store)
        let claimed = try store.claimDue(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60)
        #expect(claimed.map(\.id) == [sent.id])  // the other one waits for approval
        try store.record(
            .delivered(detail: "ok"), for: sent.id, owner: "d", transport: "t", startedAt: Sample.now, latency: .zero,
            at: Sample.now)
        _ = try store.perform(.approve, on: [open.id], actor: "op", note: nil, at: Sample.now)

        var changes = OutboxChanges()
        let later = Sample.now.addingTimeInterval(7200)
        changes.retimings = [
            Retiming(id: open.id, dueAt: later, reason: "moved"), Retiming(id: sent.id, dueAt: later, reason: "moved"),
        ]
        changes.refreshes = [(open.id, Sample.content(subject: "New subject", hash: "h2"))]
        let summary = try store.apply(changes, actor: "planner", at: Sample.now)
        #expect(summary.retimed == 1)
        #expect(summary.refreshed == 1)
        let refreshed = try #require(try store.message(id: open.id))
        #expect(refreshed.dueAt == later)
        #expect(refreshed.content.subject == "New subject")
        // New content withdraws the approval: an operator must look again.
        #expect(refreshed.state == .pendingApproval)
        #expect(refreshed.approvedAt == nil)
        #expect(try store.message(id: sent.id)?.state == .sent)

        var cancel = OutboxChanges()
        cancel.cancellations = [
            Cancellation(id: open.id, reason: "contact removed"), Cancellation(id: sent.id, reason: "x"),
        ]
        #expect(try store.apply(cancel, actor: "planner", at: Sample.now).cancelled == 1)
        #expect(try store.message(id: open.id)?.reason == "contact removed")
    }

    /// A refresh writes the recipient only when it changed (an index write otherwise wasted),
    /// and leaves a message that needs no approval in its state.
    @Test(arguments: Backend.available) func refreshWritesANewRecipientAndKeepsAnUnapprovedState(backend: Backend)
        throws
    {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let moved = Sample.planned("m")
        let same = Sample.planned("s")
        try Sample.insert([moved, same], into: store)
        var newAddress = Sample.content(subject: "New address", hash: "h2")
        newAddress.recipientAddress = "new@example.com"
        var changes = OutboxChanges()
        changes.refreshes = [(moved.id, newAddress), (same.id, Sample.content(subject: "Same address", hash: "h3"))]
        #expect(try store.apply(changes, actor: "planner", at: Sample.now).refreshed == 2)
        let first = try #require(try store.message(id: moved.id))
        #expect(first.content.recipientAddress == "new@example.com")
        #expect(first.content.subject == "New address")
        #expect(first.state == .scheduled)
        let second = try #require(try store.message(id: same.id))
        #expect(second.content.recipientAddress == "x@example.com")
        #expect(second.content.subject == "Same address")
        #expect(second.content.sourceHash == "h3")
        #expect(second.state == .scheduled)
        #expect(try store.events(messageID: moved.id).map(\.action).contains("refresh"))
        // Suppressing the new address finds the message through the recipient index.
        let cancelled = try store.suppress(
            address: "NEW@example.com", keepAddress: true, reason: "bounced", source: "test", actor: "op",
            at: Sample.now)
        #expect(cancelled == [moved.id])
        #expect(try store.message(id: same.id)?.state == .scheduled)
    }

    @Test(arguments: Backend.available) func listsByFilterAndResolvesPrefixes(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let messages = (0..<5).map { Sample.planned("c\($0)") }
        try Sample.insert(messages, into: store)
        _ = try store.perform(.hold, on: [messages[0].id], actor: "op", note: nil, at: Sample.now)
        #expect(try store.messages(matching: MessageFilter(states: [.held])).map(\.id) == [messages[0].id])
        #expect(try store.messages(matching: MessageFilter(contactID: "c3")).count == 1)
        #expect(try store.messages(matching: MessageFilter(limit: 2)).count == 2)
        #expect(try store.countsByState() == [.held: 1, .scheduled: 4])
        let id = messages[2].id
        #expect(try store.ids(startingWith: String(id.prefix(6)), limit: 2).contains(id))
    }
}

@Suite struct StoreFileTests {
    @Test func theStoreFileIsPrivateAndSurvivesReopening() throws {
        let temporary = try TemporaryStore()
        try Sample.insert([Sample.planned("a")], into: temporary.store)
        let path = temporary.directory + "/outbox.sqlite"
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let reopened = try Outbox(sqlitePath: path)
        #expect(try reopened.messages(matching: MessageFilter()).count == 1)
    }

    @Test(arguments: Backend.available) func refusesAStoreWrittenByANewerRapport(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        switch backend {
        case .sqlite:
            try temporary.store.executeForTesting(
                "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        case .postgres:
            try temporary.store.executeForTesting(
                "INSERT INTO rapport_migration (name, applied_at) VALUES ('v99: from the future', 0)")
        }
        #expect {
            _ = try Outbox(location: temporary.location)
        } throws: { error in
            (error as? StoreError)?.code == .newerSchema
        }
    }

    @Test(arguments: Backend.available) func theAuditTrailIsAppendOnly(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        try Sample.insert([Sample.planned("a")], into: temporary.store)
        #expect(throws: (any Error).self) {
            try temporary.store.executeForTesting("UPDATE event SET actor = 'mallory'")
        }
        #expect(throws: (any Error).self) {
            try temporary.store.executeForTesting("DELETE FROM event")
        }
    }
}
