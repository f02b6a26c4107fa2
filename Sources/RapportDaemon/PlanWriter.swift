import Dispatch
import Foundation
import RapportStore
import Synchronization

/// Stores the chunks of a plan on a thread of its own while the planning thread renders the
/// next chunk.
///
/// Rendering a chunk and storing it take about as long as each other, so on two cores they
/// overlap instead of taking turns. Chunks are applied in the order they are handed over, each
/// in its own transaction, exactly as if they were applied in turn; at most `depth` chunks are
/// handed over and not yet stored, so memory stays bounded. After a chunk fails, the ones after
/// it are not applied, and the failure is thrown by the next ``submit(_:)`` or by ``finish()``.
final class PlanWriter: Sendable {
    private let store: any OutboxStore
    private let actor: String
    private let date: Date
    private let queue = DispatchQueue(label: "rapport.plan-writer")
    private let slots: DispatchSemaphore
    private let outcome = Mutex<(applied: ApplySummary, error: StoreError?)>((ApplySummary(), nil))

    /// - Parameter depth: how many chunks may wait to be stored (at least 1).
    init(store: any OutboxStore, actor: String, at date: Date, depth: Int = 2) {
        self.store = store
        self.actor = actor
        self.date = date
        slots = DispatchSemaphore(value: max(1, depth))
    }

    /// Hands `changes` over to be stored after the chunks before it; waits while `depth`
    /// chunks are waiting.
    /// - Throws: the error of a chunk handed over earlier.
    func submit(_ changes: OutboxChanges) throws(StoreError) {
        slots.wait()
        if let error = outcome.withLock({ $0.error }) {
            slots.signal()
            throw error
        }
        queue.async { [self] in
            defer { slots.signal() }
            guard outcome.withLock({ $0.error == nil }) else { return }
            do throws(StoreError) {
                let summary = try store.apply(changes, actor: actor, at: date)
                outcome.withLock { $0.applied.add(summary) }
            } catch {
                outcome.withLock { $0.error = error }
            }
        }
    }

    /// Waits until every chunk handed over is stored (or dropped after a failure).
    func drain() {
        queue.sync {}
    }

    /// Waits until every chunk handed over is stored.
    /// - Returns: what they changed, summed.
    /// - Throws: the first chunk's error, if one failed.
    func finish() throws(StoreError) -> ApplySummary {
        drain()
        let (applied, error) = outcome.withLock { $0 }
        if let error { throw error }
        return applied
    }
}
