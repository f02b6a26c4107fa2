import Foundation
import RapportCore
import RapportStore
import Testing

@testable import RapportDaemon

/// Outcomes are committed by whichever worker waits, or, with several sends per commit, by a
/// thread of its own once half of them are waiting.
@Suite(.timeLimit(.minutes(1))) struct GroupCommitTests {
    let fixture = ConcurrentDispatchTests()

    /// The fixture's twelve messages, claimed for sending.
    private func claimed() throws -> (Outbox, [String]) {
        let transport = TimedTransport("t", delay: .zero, log: .init())
        let engine = try fixture.engine(Sandbox(), email: [transport], webhook: [transport])
        let outbox = try #require(engine.store as? Outbox)
        let ids = try outbox.claimDue(now: fixture.now, limit: 100, owner: "test", leaseSeconds: 60, channel: nil)
            .map(\.id)
        try #require(ids.count >= 8)
        return (outbox, ids)
    }

    private func sent(_ outbox: Outbox) throws -> Int {
        try outbox.messages(matching: MessageFilter(states: [.sent])).count
    }

    private func delivered(_ id: String) -> RecordedOutcome {
        RecordedOutcome(
            .delivered(detail: "ok"), for: id, owner: "test", transport: "t", startedAt: fixture.now,
            latency: .milliseconds(1), at: fixture.now)
    }

    @Test func halfOfTheSendsPerCommitAreCommittedInTheBackground() throws {
        let (outbox, ids) = try claimed()
        let commits = GroupCommit(store: outbox, sendsPerCommit: 8)
        defer { commits.close() }
        // Three of the four that wake the background thread: nothing is committed yet.
        var numbers = ids.prefix(3).map { commits.submit(delivered($0)) }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try sent(outbox) == 0)
        // The fourth: committed without anyone waiting.
        numbers.append(commits.submit(delivered(ids[3])))
        let deadline = ContinuousClock.now + .seconds(10)
        while try sent(outbox) < 4, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(try sent(outbox) == 4)
        // A worker waiting commits what is queued itself.
        let last = commits.submit(delivered(ids[4]))
        try commits.waitUntilCommitted(last)
        #expect(try sent(outbox) == 5)
        for number in numbers { try commits.waitUntilCommitted(number) }
    }

    @Test func oneSendPerCommitIsCommittedByTheWorkerThatWaits() throws {
        let (outbox, ids) = try claimed()
        let commits = GroupCommit(store: outbox)
        defer { commits.close() }
        let numbers = ids.prefix(4).map { commits.submit(delivered($0)) }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try sent(outbox) == 0, "no background thread")
        try commits.waitUntilCommitted(numbers[0])
        #expect(try sent(outbox) == 4, "everything queued, in one transaction")
    }

    @Test func aFailedCommitIsThrownToTheWorkersItCovered() throws {
        let (outbox, ids) = try claimed()
        let commits = GroupCommit(store: outbox, sendsPerCommit: 2)
        defer { commits.close() }
        try outbox.simulateReadOnly(true)
        let failed = commits.submit(delivered(ids[0]))
        #expect(throws: StoreError.self) { try commits.waitUntilCommitted(failed) }
        try outbox.simulateReadOnly(false)
        let next = commits.submit(delivered(ids[1]))
        try commits.waitUntilCommitted(next)
        #expect(try sent(outbox) == 1)
    }
}
