import ArgumentParser
import Foundation
import RapportCore
import RapportDaemon
import RapportDelivery
import RapportStore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one message exactly as it will be sent, with why, its attempts and its audit trail.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The message id (or a unique prefix of it).")
    var id: String

    @Flag(help: "Include the HTML part.")
    var html = false

    @Flag(help: "Print JSON.")
    var json = false

    struct Detail: Encodable {
        var message: MessageSummary
        var timezone: String?
        var dueLocal: String?
        var sender: String
        var replyTo: String?
        var headers: [String]
        var text: String
        var html: String?
        var webhookBody: String?
        /// False for a message due beyond the render window: no subject or text yet.
        var rendered: Bool
        var attempts: [AttemptLine]
        var audit: [AuditLine]

        enum CodingKeys: String, CodingKey {
            case message, timezone, sender, headers, text, html, rendered, attempts, audit
            case dueLocal = "due_local"
            case replyTo = "reply_to"
            case webhookBody = "webhook_body"
        }
    }

    struct AttemptLine: Encodable {
        var at: Date
        var transport: String
        var outcome: String
        var detail: String
        var latencyMs: Int

        enum CodingKeys: String, CodingKey {
            case at, transport, outcome, detail
            case latencyMs = "latency_ms"
        }
    }

    struct AuditLine: Encodable {
        var at: Date
        var actor: String
        var action: String
        var from: String?
        var to: String?
        var note: String?
    }

    func run() throws {
        let workspace = try Workspace.open(global)
        let resolved = try workspace.resolve([id])[0]
        guard let message = try workspace.store.message(id: resolved) else { throw ExitCode.nothingMatched }
        let attempts = try workspace.store.attempts(messageID: resolved).map {
            AttemptLine(
                at: $0.startedAt, transport: $0.transport, outcome: $0.outcome, detail: $0.detail,
                latencyMs: $0.latencyMilliseconds)
        }
        let audit = try workspace.store.events(messageID: resolved).map {
            AuditLine(
                at: $0.at, actor: $0.actor, action: $0.action, from: $0.fromState?.rawValue, to: $0.toState?.rawValue,
                note: $0.note)
        }
        let contact = try? JSONDecoder().decode(ContactPayload.self, from: Data(message.content.contactJSON.utf8))
        let zone = contact.flatMap { TimeZone(identifier: $0.timezone) }
        let dueLocal = zone.map { localDescription(message.dueAt, in: $0) }
        let sentAt = message.sentAt ?? message.dueAt
        let rendered = message.content.isRendered
        let envelope =
            !rendered
            ? nil
            : try? Engine.envelope(
                for: message, at: sentAt, unsubscribeMailto: workspace.configuration.unsubscribe?.mailto)
        let body = message.channel == .webhook ? envelope.map { String(decoding: $0.webhookBody, as: UTF8.self) } : nil
        var headers: [String] = []
        if message.channel == .email, let envelope {
            let raw = String(decoding: MIMEMessage.render(envelope, date: sentAt), as: UTF8.self)
            let head = raw.components(separatedBy: "\r\n\r\n").first ?? ""
            headers = head.components(separatedBy: "\r\n")
        }
        if json {
            print(
                jsonText(
                    Detail(
                        message: MessageSummary(message), timezone: contact?.timezone, dueLocal: dueLocal,
                        sender: message.content.sender, replyTo: message.content.replyTo, headers: headers,
                        text: message.content.text, html: message.content.html, webhookBody: body, rendered: rendered,
                        attempts: attempts, audit: audit)))
            return
        }
        let content = message.content
        print("Message   \(message.id)  [\(message.state.rawValue)]")
        let name = contact.map { " \($0.name)" } ?? ""
        print("Contact   \(message.contactID)\(name) (\(message.contactKind.rawValue))")
        print("Rule      \(message.rule) via \(message.channel.rawValue), template \(message.template)")
        print("Due       \(message.dueAt.formatted(.iso8601))" + (dueLocal.map { "  (\($0))" } ?? ""))
        print("Why       \(message.reason)")
        if message.requiresApproval {
            let approval = message.approvedBy.map { by in
                "approved by \(by)" + (message.approvedAt.map { " at \($0.formatted(.iso8601))" } ?? "")
            }
            print("Approval  required; " + (approval ?? "not yet approved"))
        }
        if message.attempts > 0 {
            print("Attempts  \(message.attempts)" + (message.lastError.map { ", last error: \($0)" } ?? ""))
        }
        if let sent = message.sentAt { print("Sent      \(sent.formatted(.iso8601))") }
        if !rendered {
            let hours = workspace.configuration.policy.renderAheadHours
            print("--- message ---")
            print("To: \(content.recipientAddress ?? "-")")
            print(
                "Not rendered yet: it is rendered \(hours) hours before it is due, from the data as it is then"
                    + " ([planning] render_ahead_hours).")
        } else if !headers.isEmpty {
            print("--- headers ---")
            for header in headers { print(header) }
        } else {
            print("--- message ---")
            print("From: \(content.sender)")
            print("Subject: \(content.subject)")
        }
        if rendered {
            print("--- text ---")
            print(content.text)
        }
        if html, let htmlPart = content.html {
            print("--- html ---")
            print(htmlPart)
        }
        if let body {
            print("--- webhook body ---")
            print(body)
        }
        if !attempts.isEmpty {
            print("--- attempts ---")
            for attempt in attempts {
                print(
                    "\(attempt.at.formatted(.iso8601))  \(attempt.transport)  \(attempt.outcome)  "
                        + "\(attempt.latencyMs) ms  \(attempt.detail)")
            }
        }
        print("--- audit ---")
        for line in audit {
            let states = [line.from, line.to].compactMap { $0 }.joined(separator: " → ")
            print("\(line.at.formatted(.iso8601))  \(line.actor)  \(line.action)  \(states)  \(line.note ?? "")")
        }
    }
}

/// "Mon 7 Dec 2026 10:00 GMT, Europe/London": a time as the recipient reads it.
func localDescription(_ date: Date, in zone: TimeZone) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = zone
    formatter.dateFormat = "EEE d MMM yyyy HH:mm zzz"
    return "\(formatter.string(from: date)), \(zone.identifier)"
}
