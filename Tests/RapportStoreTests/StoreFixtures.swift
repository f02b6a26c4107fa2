import Foundation
import RapportCore
import RapportStore

/// A fresh store in a temporary folder, removed when the test ends.
final class TemporaryStore {
    let directory: String
    let store: SQLiteOutbox

    init() throws {
        directory = NSTemporaryDirectory() + "rapport-store-\(UUID().uuidString)"
        store = try SQLiteOutbox(path: directory + "/outbox.sqlite")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
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
