import Foundation
import RapportCore

/// Builders and an in-memory outbox for planner tests.
enum Fixture {
    static func instant(_ text: String) -> Date {
        try! Date(text, strategy: .iso8601)
    }

    static func zone(_ name: String) -> TimeZone {
        TimeZone(identifier: name)!
    }

    static func client(
        _ id: String, zone name: String = "Europe/London", tier: String? = "gold", lastContact: String? = nil,
        projects: [Project] = []
    ) -> Contact {
        Contact(
            id: id, name: "Client \(id)", email: "\(id)@example.com", kind: .client, timeZone: zone(name),
            accountManager: AccountManager(name: "Manager", email: "manager@example.com"), tier: tier,
            lastContactAt: lastContact.map(instant), projects: projects)
    }

    static func customer(_ id: String, zone name: String = "Europe/Berlin", optIn: Bool = true, tags: [String] = [])
        -> Contact
    {
        Contact(
            id: id, name: "Customer \(id)", email: "\(id)@example.com", kind: .customer, timeZone: zone(name),
            marketingOptIn: optIn, tags: tags)
    }
}

/// The outbox reduced to what the planner sees, with the dispatcher's one job: send what is due.
struct MemoryOutbox {
    var entries: [String: HistoryEntry] = [:]
    var planned: [String: PlannedMessage] = [:]
    var sentLog: [(key: MessageKey, at: Date)] = []

    var history: History { History(Array(entries.values)) }

    mutating func apply(_ diff: PlanDiff, at now: Date) {
        for message in diff.additions {
            precondition(entries[message.id] == nil, "planned \(message.key) twice")
            entries[message.id] = HistoryEntry(
                key: message.key, state: message.state, dueAt: message.dueAt,
                closedAt: message.state.isFinal ? now : nil)
            planned[message.id] = message
        }
        for retiming in diff.retimings { entries[retiming.id]?.dueAt = retiming.dueAt }
        for cancellation in diff.cancellations {
            entries[cancellation.id]?.state = .cancelled
            entries[cancellation.id]?.closedAt = now
        }
    }

    /// Approves everything pending and sends everything due by `now`, at its due time.
    mutating func sendDue(now: Date) {
        for (id, entry) in entries where entry.dueAt <= now {
            guard entry.state == .scheduled || entry.state == .pendingApproval else { continue }
            entries[id]?.state = .sent
            entries[id]?.sentAt = entry.dueAt
            sentLog.append((entry.key, entry.dueAt))
        }
    }

    /// Plans, applies and sends, day by day (at `hour` UTC) from `start` for `days` days.
    mutating func simulate(snapshot: Snapshot, policy: Policy, from start: Date, days: Int, stepHours: Int = 1) {
        var now = start
        let end = start.addingTimeInterval(Double(days) * 86_400)
        var steps = 0
        while now < end && steps < 100_000 {
            let diff = Planner.plan(snapshot: snapshot, history: history, policy: policy, now: now)
            apply(diff, at: now)
            sendDue(now: now)
            now = now.addingTimeInterval(Double(stepHours) * 3600)
            steps += 1
        }
    }
}
