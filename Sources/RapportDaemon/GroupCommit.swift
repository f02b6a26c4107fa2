import Foundation
import RapportStore

/// Records the outcomes of several send workers in one transaction.
///
/// A worker hands its outcome over and, before its next send, waits until it is committed;
/// whichever worker finds no commit in progress commits everything handed over so far, so
/// outcomes that arrive while the disk syncs share the next sync. Because every worker waits
/// for its own outcome before it starts another send, at most one send per worker is ever
/// unrecorded: the at-least-once bound (a crash repeats at most `concurrency` sends) is the
/// same as with one commit per send.
///
/// With `[daemon] sends_per_commit = N` a worker waits only when N of its outcomes are not yet
/// committed (``submit(_:)`` then ``waitUntilCommitted(_:)``), so one worker alone commits N
/// outcomes per transaction: each commit's page writes and sync are shared by N sends, and a
/// crash repeats at most N sends per worker.
///
/// `@unchecked Sendable`: all state is guarded by `condition`.
final class GroupCommit: @unchecked Sendable {
    private let store: any OutboxStore
    private let condition = NSCondition()
    private var queued: [RecordedOutcome] = []
    /// Outcomes are numbered as they are handed over; every number up to this one is settled.
    private var settled = 0
    private var handedOver = 0
    private var committing = false
    /// Failed commits: the numbers they covered and why.
    private var failures: [(range: ClosedRange<Int>, error: StoreError)] = []

    init(store: any OutboxStore) {
        self.store = store
    }

    /// Hands `outcome` over without waiting: it is committed with the next batch, by whichever
    /// worker next waits.
    /// - Returns: its number, for ``waitUntilCommitted(_:)``.
    func submit(_ outcome: RecordedOutcome) -> Int {
        condition.lock()
        defer { condition.unlock() }
        handedOver += 1
        queued.append(outcome)
        return handedOver
    }

    /// Returns once the outcome numbered `number` is committed, committing everything handed
    /// over so far if no commit is in progress.
    /// - Throws: the store's error if the commit that covered it failed.
    func waitUntilCommitted(_ number: Int) throws(StoreError) {
        condition.lock()
        defer { condition.unlock() }
        while settled < number {
            if committing {
                condition.wait()
                continue
            }
            committing = true
            let batch = queued
            queued.removeAll(keepingCapacity: true)
            let range = (settled + 1)...handedOver
            condition.unlock()
            var failure: StoreError?
            do {
                try store.record(batch)
            } catch {
                failure = error
            }
            condition.lock()
            if let failure { failures.append((range, failure)) }
            settled = range.upperBound
            committing = false
            condition.broadcast()
        }
        if let failed = failures.first(where: { $0.range.contains(number) }) {
            throw failed.error
        }
    }
}
