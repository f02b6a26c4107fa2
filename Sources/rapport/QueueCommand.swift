import ArgumentParser
import Foundation
import RapportCore
import RapportStore

extension MessageState: ExpressibleByArgument {}
extension ContactKind: ExpressibleByArgument {}
extension Channel: ExpressibleByArgument {}

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
    var recipient: String?
    var attempts: Int
    var reason: String
    var lastError: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, rule, channel, state, subject, recipient, attempts, reason
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
        recipient = message.content.recipientAddress
        attempts = message.attempts
        reason = message.reason
        lastError = message.lastError
    }
}

struct Queue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List messages by due time, with a count by state.")

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Only messages in this state (repeatable).")
    var state: [MessageState] = []

    @Option(help: "Only messages to clients or to customers.")
    var kind: ContactKind?

    @Option(help: "Only messages to this contact id.")
    var contact: String?

    @Option(help: "Only email or webhook messages.")
    var channel: Channel?

    @Option(help: "Show at most this many.")
    var limit: Int?

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() throws {
        let workspace = try Workspace.open(global)
        let filter = MessageFilter(
            states: Set(state), kind: kind, contactID: contact, channel: channel, limit: limit)
        let messages = try workspace.store.messages(matching: filter)
        if json {
            print(jsonText(messages.map(MessageSummary.init)))
        } else {
            print("ID               DUE (UTC)        STATE      CONTACT  RULE        SUBJECT")
            for message in messages {
                print(
                    "\(message.id) \(shortUTC(message.dueAt)) \(fit(message.state.rawValue, 10)) "
                        + "\(fit(message.contactID, 8)) \(fit(message.rule.description, 11)) "
                        + fit(message.content.subject, 14))
            }
            var counts: [MessageState: Int] = [:]
            for message in messages { counts[message.state, default: 0] += 1 }
            let summary = MessageState.allCases.compactMap { state in
                counts[state].map { "\($0) \(state.rawValue)" }
            }
            print("\(messages.count) messages" + (summary.isEmpty ? "" : ": " + summary.joined(separator: ", ")))
        }
        let filtered = !state.isEmpty || kind != nil || contact != nil || channel != nil
        if messages.isEmpty && filtered { throw ExitCode.nothingMatched }
    }
}
