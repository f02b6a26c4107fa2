import ArgumentParser
import Foundation
import RapportCore
import RapportStore

/// The fields of a message in `--json` listings.
struct MessageSummary: Encodable {
    var id: String
    var contactId: String
    var kind: String
    var rule: String
    var channel: String
    var dueAt: Date
    var state: String
    var subject: String
    /// False for a message due beyond the render window: its subject is empty until rendered.
    var rendered: Bool
    var recipient: String?
    var attempts: Int
    var reason: String
    var lastError: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, rule, channel, state, subject, rendered, recipient, attempts, reason
        case contactId = "contact_id"
        case dueAt = "due_at"
        case lastError = "last_error"
    }

    init(_ message: StoredMessage) {
        id = message.id
        contactId = message.contactID
        kind = message.contactKind.rawValue
        rule = message.rule.description
        channel = message.channel.rawValue
        dueAt = message.dueAt
        state = message.state.rawValue
        subject = message.content.subject
        rendered = message.content.isRendered
        recipient = message.content.recipientAddress
        attempts = message.attempts
        reason = message.reason
        lastError = message.lastError
    }
}

struct Queue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List messages by due time, with a count by state.",
        discussion: "Exits 3 when a filter was given and nothing matched.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: MessageFilterOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Show at most this many.")
    var limit: Int?

    func run() throws {
        let workspace = try Workspace.open(global)
        let messages = try workspace.store.messages(matching: filter.filter(now: Date(), limit: limit))
        switch output.resolved {
        case .json:
            print(jsonText(messages.map(MessageSummary.init)))
        case .csv:
            print(
                csvText(
                    header: ["id", "due_at", "state", "kind", "contact_id", "rule", "channel", "recipient", "subject"],
                    rows: messages.map {
                        [
                            $0.id, $0.dueAt.formatted(.iso8601), $0.state.rawValue, $0.contactKind.rawValue,
                            $0.contactID,
                            $0.rule.description, $0.channel.rawValue, $0.content.recipientAddress ?? "",
                            $0.content.subject,
                        ]
                    }))
        case .table:
            let table = Table(columns: [
                Column(title: "ID", width: 10), Column(title: "DUE (UTC)", width: 16),
                Column(title: "STATE", width: 16),
                Column(title: "CONTACT", width: 8), Column(title: "RULE", width: 13),
                Column(title: "SUBJECT", width: 0, flexible: true),
            ])
            print(
                table.render(
                    messages.map {
                        [
                            String($0.id.prefix(10)), shortUTC($0.dueAt), $0.state.rawValue, $0.contactID,
                            $0.rule.description, $0.content.subjectForListing,
                        ]
                    }))
            let limited = limit.map { messages.count >= $0 } ?? false
            print(summaryLine(messages) + (limited ? " (the first \(messages.count); raise --limit for more)" : ""))
        }
        if messages.isEmpty && !filter.isEmpty { throw ExitCode.nothingMatched }
    }

    /// "5 messages: 1 pending_approval, 3 scheduled, 1 sent", in the state machine's order.
    func summaryLine(_ messages: [StoredMessage]) -> String {
        var counts: [MessageState: Int] = [:]
        for message in messages { counts[message.state, default: 0] += 1 }
        let parts = MessageState.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue)" } }
        let noun = messages.count == 1 ? "message" : "messages"
        return "\(messages.count) \(noun)" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }
}

extension MessageContent {
    /// The subject, or what stands for it while the message is not rendered yet.
    var subjectForListing: String { isRendered ? subject : "(not rendered yet)" }
}
