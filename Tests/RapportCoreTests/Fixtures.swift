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

/// The outbox reduced to what the planner sees: the tests' view of ``Simulation``.
struct MemoryOutbox {
    var simulation = Simulation()

    var entries: [String: HistoryEntry] { simulation.entries }
    var history: History { simulation.history }
    var sentLog: [(key: MessageKey, at: Date)] { simulation.sent.map { ($0.key, $0.at) } }

    mutating func apply(_ diff: PlanDiff, at now: Date) {
        for message in diff.additions {
            precondition(simulation.entries[message.id] == nil, "planned \(message.key) twice")
        }
        simulation.apply(diff, at: now)
    }

    /// Approves everything pending and sends everything due by `now`, at its due time.
    mutating func sendDue(now: Date) { simulation.sendDue(now: now) }

    /// Plans, applies and sends every `stepHours` from `start` for `days` days.
    mutating func simulate(snapshot: Snapshot, policy: Policy, from start: Date, days: Int, stepHours: Int = 1) {
        simulation.run(
            snapshot: snapshot, policy: policy, from: start, to: start.addingTimeInterval(Double(days) * 86_400),
            step: Double(stepHours) * 3600)
    }
}

/// A folder of files a test writes, removed with the folder object (held by a test suite
/// instance: one folder per test).
final class ScratchFolder {
    let url: URL

    init(_ prefix: String) {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-\(prefix)-\(UUID())")
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// Writes `bytes` to `name` in the folder; returns the file's path.
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let path = url.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
