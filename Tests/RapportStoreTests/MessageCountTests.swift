import Foundation
import RapportCore
import RapportStore
import Testing

@Suite struct MessageCountTests {
    @Test(arguments: Backend.available) func countsGroupByStateKindAndChannelWithTheDueOnes(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let later = Sample.now.addingTimeInterval(3600)
        try Sample.insert([Sample.planned("a"), Sample.planned("b"), Sample.planned("c", due: later)], into: store)
        try Sample.insert([Sample.planned("d", state: .pendingApproval)], into: store, approval: true)
        let claimed = try store.claimDue(now: Sample.now, limit: 1, owner: "one", leaseSeconds: 60)
        try store.record(
            .delivered(detail: "250"), for: claimed[0].id, owner: "one", transport: "smtp", startedAt: Sample.now,
            latency: .milliseconds(1), at: Sample.now)

        let counts = try store.messageCounts(dueBy: Sample.now)
        func find(_ state: MessageState) -> MessageCount? {
            counts.first { $0.state == state && $0.kind == .client && $0.channel == .email }
        }
        #expect(find(.scheduled)?.count == 2)
        #expect(find(.scheduled)?.due == 1, "one scheduled message is due now, the other in an hour")
        #expect(find(.sent)?.count == 1)
        #expect(find(.sent)?.due == 0)
        #expect(find(.pendingApproval)?.count == 1)
        #expect(find(.pendingApproval)?.due == 0, "awaiting approval is not due")
        #expect(counts.map(\.count).reduce(0, +) == 4)
    }

    @Test func reachabilityFollowsTheFile() throws {
        let temporary = try TemporaryStore()
        try temporary.store.checkReachable()
        try FileManager.default.moveItem(
            atPath: temporary.directory, toPath: temporary.directory + "-moved")
        defer { try? FileManager.default.removeItem(atPath: temporary.directory + "-moved") }
        #expect(throws: StoreError.self) { try temporary.store.checkReachable() }
    }
}
