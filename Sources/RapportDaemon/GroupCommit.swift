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
/// committed (``submit(_:)`` then ``waitUntilCommitted(_:)``), so a crash repeats at most N
/// sends per worker. Then a thread of its own commits in the background: once half of N
/// outcomes are waiting and no commit is in progress, it commits them while the workers go on
/// sending. On two cores the sends and the commits overlap, instead of each worker stopping
/// every N sends to commit; each commit's page writes and sync are still shared by several
/// sends.
///
/// ``close()`` ends the background thread; call it once no worker submits any more.
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
    /// How many outcomes wake the background thread; `nil`: no background thread.
    private let backgroundBatch: Int?
    private var closed = false
    private let backgroundDone = DispatchSemaphore(value: 0)

    /// - Parameter sendsPerCommit: how many outcomes a worker may leave uncommitted; above 1, a
    ///   background thread commits them as they come, about half of it at a time.
    init(store: any OutboxStore, sendsPerCommit: Int = 1) {
        self.store = store
        backgroundBatch = sendsPerCommit > 1 ? max(1, sendsPerCommit / 2) : nil
        guard backgroundBatch != nil else { return }
        let thread = Thread { [self] in
            commitInTheBackground()
            backgroundDone.signal()
        }
        thread.name = "rapport.commit"
        thread.start()
    }

    /// Hands `outcome` over without waiting: it is committed with the next batch, by the
    /// background thread or whichever worker next waits.
    /// - Returns: its number, for ``waitUntilCommitted(_:)``.
    func submit(_ outcome: RecordedOutcome) -> Int {
        condition.lock()
        defer { condition.unlock() }
        handedOver += 1
        queued.append(outcome)
        if let backgroundBatch, queued.count >= backgroundBatch, !committing { condition.broadcast() }
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
            commitQueued()
        }
        if let failed = failures.first(where: { $0.range.contains(number) }) {
            throw failed.error
        }
    }

    /// Ends the background thread (after the commit it is making) and waits for it.
    func close() {
        guard backgroundBatch != nil else { return }
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
        backgroundDone.wait()
    }

    /// Commits what is queued, the lock held on entry and on return (not during the commit).
    private func commitQueued() {
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

    private func commitInTheBackground() {
        guard let backgroundBatch else { return }
        condition.lock()
        defer { condition.unlock() }
        while true {
            while !closed, committing || queued.count < backgroundBatch {
                condition.wait()
            }
            if closed { return }
            commitQueued()
        }
    }
}
