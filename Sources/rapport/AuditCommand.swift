import ArgumentParser
import Foundation
import RapportCore
import RapportStore

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Every operator action: who, when, what, and the state before and after.",
        discussion: "The audit trail is append-only. --all adds the planner's and the dispatcher's events.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Only since this time (ISO 8601, or relative such as -7d).")
    var since: TimeArgument?

    @Option(help: "Only actions by this operator.")
    var actor: String?

    @Option(help: "Only events of this message.")
    var message: String?

    @Option(help: "Only events of this contact.")
    var contact: String?

    @Flag(help: "Include the planner's and dispatcher's events.")
    var all = false

    @Option(help: "Only the newest this many.")
    var limit: Int?

    func run() throws {
        let workspace = try Workspace.open(global)
        let messageID = try message.map { try workspace.resolve([$0])[0] }
        let events = try workspace.store.auditEvents(
            matching: AuditFilter(
                operatorsOnly: !all, actor: actor, messageID: messageID, contactID: contact,
                since: since?.resolve(now: Date()), limit: limit))
        switch output.resolved {
        case .json:
            print(jsonText(events.map(AuditRow.init)))
        case .csv:
            print(
                csvText(
                    header: ["at", "actor", "action", "message_id", "contact_id", "from", "to", "note"],
                    rows: events.map {
                        [
                            $0.at.formatted(.iso8601), $0.actor, $0.action, $0.messageID ?? "", $0.contactID ?? "",
                            $0.fromState?.rawValue ?? "", $0.toState?.rawValue ?? "", $0.note ?? "",
                        ]
                    }))
        case .table:
            let table = Table(columns: [
                Column(title: "WHEN (UTC)", width: 16), Column(title: "WHO", width: 10),
                Column(title: "ACTION", width: 10),
                Column(title: "MESSAGE", width: 10), Column(title: "CHANGE", width: 0, flexible: true),
            ])
            print(
                table.render(
                    events.map {
                        let states = [$0.fromState?.rawValue, $0.toState?.rawValue].compactMap { $0 }
                        let change = states.joined(separator: " → ") + ($0.note.map { "  \($0)" } ?? "")
                        return [
                            shortUTC($0.at), $0.actor, $0.action,
                            String(($0.messageID ?? $0.contactID ?? "").prefix(10)),
                            change,
                        ]
                    }))
        }
        if events.isEmpty && (actor != nil || message != nil || contact != nil || since != nil) {
            throw ExitCode.nothingMatched
        }
    }
}

/// An audit event in `--json` output.
struct AuditRow: Encodable {
    var at: Date
    var actor: String
    var action: String
    var messageId: String?
    var contactId: String?
    var from: String?
    var to: String?
    var note: String?

    enum CodingKeys: String, CodingKey {
        case at, actor, action, from, to, note
        case messageId = "message_id"
        case contactId = "contact_id"
    }

    init(_ event: AuditEvent) {
        at = event.at
        actor = event.actor
        action = event.action
        messageId = event.messageID
        contactId = event.contactID
        from = event.fromState?.rawValue
        to = event.toState?.rawValue
        note = event.note
    }
}
