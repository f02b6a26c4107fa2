import Foundation
import RapportCore
import RapportStore
import RapportTestSupport
import Testing

/// The backends the store suite runs against: SQLite always, PostgreSQL when a server could
/// be started on loopback (`TestPostgres`; skipping says so loudly on standard error).
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var available: [Backend] { TestPostgres.isAvailable ? [.sqlite, .postgres] : [.sqlite] }

    var testDescription: String { rawValue }
}

/// A fresh store, removed when the test ends: a SQLite file in a temporary folder, or a new
/// database on the test PostgreSQL server.
final class TemporaryStore {
    let backend: Backend
    let directory: String
    /// What opens the store again: the file path or the database URL.
    let location: String
    let store: Outbox

    init(_ backend: Backend = .sqlite) throws {
        self.backend = backend
        directory = NSTemporaryDirectory() + "rapport-store-\(UUID().uuidString)"
        switch backend {
        case .sqlite: location = directory + "/outbox.sqlite"
        case .postgres: location = try TestPostgres.createDatabase()
        }
        store = try Outbox(location: location)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
        if backend == .postgres { TestPostgres.dropDatabase(location) }
    }
}

enum Sample {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    static func planned(
        _ contact: String, rule: RuleID = .checkin, occurrence: String = "first", due: Date = now,
        state: MessageState = .scheduled
    ) -> PlannedMessage {
        PlannedMessage(
            key: MessageKey(contactID: contact, rule: rule, occurrence: occurrence),
            contact: Contact(
                id: contact, name: "Name \(contact)", email: "\(contact)@example.com", kind: .client, timeZone: .gmt),
            channel: .email, template: "client-checkin", dueAt: due, state: state, reason: "test reason")
    }

    static func content(subject: String = "Hello", hash: String = "h1") -> MessageContent {
        MessageContent(
            sender: "Firm <firm@example.com>", recipientName: "Name", recipientAddress: "x@example.com", replyTo: nil,
            subject: subject, text: "Body", html: "<p>Body</p>", contactJSON: "{}", sourceHash: hash)
    }

    static func insert(_ planned: [PlannedMessage], into store: any OutboxStore, approval: Bool = false) throws {
        var changes = OutboxChanges()
        changes.insertions = planned.map { NewMessage(planned: $0, content: content(), requiresApproval: approval) }
        try store.apply(changes, actor: "planner", at: now)
    }
}

@Suite struct TestServerTests {
    /// CI sets `RAPPORT_REQUIRE_POSTGRES=1`: there the PostgreSQL half may not be skipped.
    @Test func postgresRunsWhereRequired() throws {
        guard TestPostgres.isRequired else { return }
        if case .failure(let reason) = TestPostgres.server {
            Issue.record("PostgreSQL is required here but could not be started: \(reason)")
        }
    }
}
