import ArgumentParser
import Foundation
import RapportCore
import RapportDaemon
import RapportStore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one message exactly as it will be sent, with its attempts and audit trail.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The message id (or a unique prefix of it).")
    var id: String

    @Flag(help: "Include the HTML part.")
    var html = false

    @Flag(help: "Print JSON.")
    var json = false

    struct Detail: Encodable {
        var message: MessageSummary
        var sender: String
        var replyTo: String?
        var text: String
        var html: String?
        var webhookBody: String?
        var attempts: [AttemptLine]
        var audit: [AuditLine]

        enum CodingKeys: String, CodingKey {
            case message, sender, text, html, attempts, audit
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
        let body: String? =
            message.channel == .webhook
            ? String(
                decoding: WebhookMessage(message, sentAt: message.sentAt ?? message.dueAt).encoded(), as: UTF8.self)
            : nil
        if json {
            print(
                jsonText(
                    Detail(
                        message: MessageSummary(message), sender: message.content.sender,
                        replyTo: message.content.replyTo,
                        text: message.content.text, html: message.content.html, webhookBody: body, attempts: attempts,
                        audit: audit)))
            return
        }
        let content = message.content
        print("Message   \(message.id)  [\(message.state.rawValue)]")
        print("Contact   \(message.contactID) (\(message.contactKind.rawValue))")
        print("Rule      \(message.rule)  via \(message.channel.rawValue)  template \(message.template)")
        print("Due       \(message.dueAt.formatted(.iso8601))")
        print("Why       \(message.reason)")
        if message.attempts > 0 {
            print("Attempts  \(message.attempts)" + (message.lastError.map { ", last error: \($0)" } ?? ""))
        }
        print("")
        print("From: \(content.sender)")
        print(
            "To: "
                + [content.recipientName, content.recipientAddress.map { "<\($0)>" }].compactMap { $0 }.joined(
                    separator: " "))
        if let replyTo = content.replyTo { print("Reply-To: \(replyTo)") }
        print("Subject: \(content.subject)")
        print("")
        print(content.text)
        if html, let htmlPart = content.html {
            print("--- HTML ---")
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
                    "\(attempt.at.formatted(.iso8601))  \(attempt.transport)  \(attempt.outcome)  \(attempt.latencyMs) ms  \(attempt.detail)"
                )
            }
        }
        print("--- audit ---")
        for line in audit {
            let states = [line.from, line.to].compactMap { $0 }.joined(separator: " → ")
            print("\(line.at.formatted(.iso8601))  \(line.actor)  \(line.action)  \(states)  \(line.note ?? "")")
        }
    }
}
