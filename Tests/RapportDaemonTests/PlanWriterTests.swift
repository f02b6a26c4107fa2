import Foundation
import RapportCore
import RapportStore
import Testing

@testable import RapportDaemon

/// The chunks of a plan are stored on a thread of their own, in the order they were handed
/// over; after one fails, the rest are not stored.
@Suite(.timeLimit(.minutes(1))) struct PlanWriterTests {
    let fixture = ConcurrentDispatchTests()

    /// The twelve messages the fixture plans, due now.
    private func plannedStore() throws -> (Outbox, [String]) {
        let transport = TimedTransport("t", delay: .zero, log: .init())
        let engine = try fixture.engine(Sandbox(), email: [transport], webhook: [transport])
        let outbox = try #require(engine.store as? Outbox)
        let ids = try outbox.messages(matching: MessageFilter(states: [.scheduled])).map(\.id).sorted()
        return (outbox, ids)
    }

    private func chunk(retiming id: String? = nil, cancelling cancelled: String? = nil) -> OutboxChanges {
        var changes = OutboxChanges()
        if let id {
            changes.retimings = [Retiming(id: id, dueAt: fixture.now.addingTimeInterval(3_600), reason: "test")]
        }
        if let cancelled { changes.cancellations = [Cancellation(id: cancelled, reason: "test")] }
        return changes
    }

    @Test func chunksAreStoredInTheOrderHandedOver() throws {
        let (outbox, ids) = try plannedStore()
        let writer = PlanWriter(store: outbox, actor: "planner", at: fixture.now)
        // A cancelled message is not re-timed: stored the other way round, nothing is re-timed.
        for id in ids.prefix(5) {
            try writer.submit(chunk(retiming: id))
            try writer.submit(chunk(cancelling: id))
        }
        let applied = try writer.finish()
        #expect(applied.retimed == 5 && applied.cancelled == 5)
        let cancelled = try outbox.messages(matching: MessageFilter(states: [.cancelled])).map(\.id).sorted()
        #expect(cancelled == Array(ids.prefix(5)))
        let retimes = try ids.prefix(5).map { id in try outbox.events(messageID: id).map(\.action) }
        #expect(retimes.allSatisfy { $0.suffix(2) == ["retime", "cancel"] }, "\(retimes)")
    }

    @Test func afterAFailedChunkTheRestAreNotStored() throws {
        let (outbox, ids) = try plannedStore()
        let writer = PlanWriter(store: outbox, actor: "planner", at: fixture.now)
        try outbox.simulateReadOnly(true)
        try writer.submit(chunk(cancelling: ids[0]))
        writer.drain()
        try outbox.simulateReadOnly(false)
        // The store is writable again, but the plan is broken off: the first failure is thrown.
        #expect(throws: StoreError.self) { try writer.submit(chunk(cancelling: ids[1])) }
        #expect(throws: StoreError.self) { try writer.finish() }
        #expect(try outbox.messages(matching: MessageFilter(states: [.cancelled])).isEmpty)
        #expect(try outbox.messages(matching: MessageFilter(states: [.scheduled])).count == ids.count)
    }
}
