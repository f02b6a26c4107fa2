import Foundation

/// The planner run forward in simulated time against an in-memory outbox: what would be sent,
/// when and why. Used by `rapport plan --dry-run --from … --to …` and by the tests.
///
/// Each step plans, applies the diff, and "sends" every open message due by then (pending
/// approvals count as approved; held messages stay held).
public struct Simulation: Sendable {
    /// One message the simulation sent.
    public struct Sent: Sendable, Hashable {
        public var key: MessageKey
        public var at: Date
        public var reason: String
    }

    /// One decision that closed a message without sending it (cancel or skip).
    public struct Closed: Sendable, Hashable {
        public var id: String
        public var key: MessageKey?
        public var at: Date
        public var state: MessageState
        public var reason: String
    }

    public private(set) var entries: [String: HistoryEntry] = [:]
    public private(set) var planned: [String: PlannedMessage] = [:]
    public private(set) var sent: [Sent] = []
    public private(set) var closed: [Closed] = []
    /// Touchpoints recorded as if through `rapport touch`.
    public var touchpoints: [String: Date] = [:]

    public init(history: History = History()) {
        for entry in history.byContact.values.joined() { entries[entry.id] = entry }
        touchpoints = history.touchpoints
    }

    /// The outbox as the planner sees it.
    public var history: History { History(Array(entries.values), touchpoints: touchpoints) }

    /// Applies a plan as the store would: additions, re-timings, cancellations and skips of
    /// open messages.
    public mutating func apply(_ diff: PlanDiff, at now: Date) {
        for message in diff.additions where entries[message.id] == nil {
            entries[message.id] = HistoryEntry(
                key: message.key, state: message.state, dueAt: message.dueAt,
                closedAt: message.state.isFinal ? now : nil)
            planned[message.id] = message
            if message.state == .skipped {
                closed.append(
                    Closed(id: message.id, key: message.key, at: now, state: .skipped, reason: message.reason))
            }
        }
        for retiming in diff.retimings where entries[retiming.id]?.state.isOpen == true {
            entries[retiming.id]?.dueAt = retiming.dueAt
            planned[retiming.id]?.dueAt = retiming.dueAt
            planned[retiming.id]?.reason = retiming.reason
        }
        for cancellation in diff.cancellations where entries[cancellation.id]?.state.isOpen == true {
            entries[cancellation.id]?.state = .cancelled
            entries[cancellation.id]?.closedAt = now
            closed.append(
                Closed(
                    id: cancellation.id, key: entries[cancellation.id]?.key, at: now, state: .cancelled,
                    reason: cancellation.reason))
        }
        for skip in diff.skips where entries[skip.id]?.state.isOpen == true {
            entries[skip.id]?.state = .skipped
            entries[skip.id]?.closedAt = now
            entries[skip.id]?.skippedAsStale = skip.reason.hasPrefix("stale")
            closed.append(
                Closed(id: skip.id, key: entries[skip.id]?.key, at: now, state: .skipped, reason: skip.reason))
        }
    }

    /// Sends every scheduled or pending message due by `now`, at its due time.
    public mutating func sendDue(now: Date) {
        for id in entries.keys.sorted() {
            guard let entry = entries[id], entry.dueAt <= now,
                entry.state == .scheduled || entry.state == .pendingApproval
            else { continue }
            entries[id]?.state = .sent
            entries[id]?.sentAt = entry.dueAt
            sent.append(Sent(key: entry.key, at: entry.dueAt, reason: planned[id]?.reason ?? ""))
        }
    }

    /// Plans, applies and sends every `step` from `start` up to `end`.
    public mutating func run(
        snapshot: Snapshot, policy: Policy, from start: Date, to end: Date, step: TimeInterval = 3600,
        maxSteps: Int = 200_000
    ) {
        var now = start
        var steps = 0
        while now < end && steps < maxSteps {
            let diff = Planner.plan(snapshot: snapshot, history: history, policy: policy, now: now)
            apply(diff, at: now)
            sendDue(now: now)
            now = now.addingTimeInterval(step)
            steps += 1
        }
    }
}
