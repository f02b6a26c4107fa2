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

    /// The path of `name` in the folder.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `bytes` to `name` in the folder; returns the file's path.
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Data files for the tests of reading in pieces: ids in ascending order; quoted commas and
/// line breaks, CRLF, a byte order mark, a record longer than small pieces, blank lines, both
/// kinds.
enum DataFiles {
    static let csv = Array(
        ("\u{FEFF}id,name,email,kind,timezone,tags\r\n"
            + (1...60).map { n in
                let name = n % 7 == 0 ? "\"Comma, \"\"quoted\"\" \(n)\"" : "Name \(n)"
                let tags = n == 30 ? String(repeating: "long;", count: 200) + "tag" : n % 5 == 0 ? "\"a,\r\nb\"" : "a;b"
                let kind = n % 3 == 0 ? "client" : "customer"
                return "c\(1000 + n),\(name),c\(n)@example.com,\(kind),UTC,\(tags)\r\n"
            }.joined() + "\r\nc2000,Last,last@example.com,client,UTC,x").utf8)

    static let jsonLines = Array(
        (1...60).map { n in
            let padding = n == 30 ? String(repeating: " ", count: 3_000) : ""
            let kind = n % 4 == 0 ? "customer" : "client"
            return "{\"id\": \"j\(1000 + n)\", \"kind\": \"\(kind)\", \"timezone\": \"UTC\"\(padding)}\n"
                + (n % 9 == 0 ? "\n" : "")
        }.joined().utf8)
}
