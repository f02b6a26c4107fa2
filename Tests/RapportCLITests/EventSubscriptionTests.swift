import Foundation
import Testing

extension RapportCLITests {
    /// `[events]`: lifecycle events go to a real HTTP sink, signed per Standard Webhooks (checked
    /// there by the `standardwebhooks` package) with their own secret, and retried like messages.
    @Suite struct EventSubscriptions {
        static func config(smtpPort: Int, webhookPort: Int, today: Date) -> String {
            configuration(
                rest: """
                    [email]
                    transport = "smtp"
                    url = "smtp://127.0.0.1:\(smtpPort)"
                    timeout_seconds = 5

                    [webhook]
                    transport = "http"
                    url = "http://127.0.0.1:\(webhookPort)/ok"
                    secret_env = "RAPPORT_TEST_SECRET"
                    timeout_seconds = 5

                    [events]
                    url = "http://127.0.0.1:\(webhookPort)/fail-once"
                    secret_env = "RAPPORT_EVENTS_SECRET"
                    types = ["message.sent", "message.failed", "message.held", "contact.suppressed"]

                    [rules.checkin]
                    send_at = "00:00"
                    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                    hours = "00:00-23:59"

                    [rules.progress]
                    enabled = false

                    [[campaigns]]
                    name = "winter-sale"
                    starts = \(EndToEnd.day(today, plusDays: -1))
                    ends = \(EndToEnd.day(today, plusDays: 10))
                    tags = ["newsletter"]
                    require_approval = false
                    send_at = "00:00"
                    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                    hours = "00:00-23:59"
                    """)
        }

        struct Event {
            var id: String
            var type: String
            var data: [String: Any]
            var verified: Bool
            var path: String
        }

        static func events(_ path: String) throws -> [Event] {
            try webhookRecords(at: path).filter { ($0["path"] as? String) == "/fail-once" }.map { record in
                let headers = record["headers"] as? [String: String] ?? [:]
                let body = try jsonObject(record["body"] as? String ?? "", what: "event body")
                return Event(
                    id: headers["webhook-id"] ?? "", type: body["type"] as? String ?? "",
                    data: body["data"] as? [String: Any] ?? [:], verified: record["verified"] as? Bool == true,
                    path: record["path"] as? String ?? "")
            }
        }

        @Test func lifecycleEventsAreSignedRetriedAndCarryTheirMessage() throws {
            let scratch = try Scratch("events")
            let messageSecret = makeWebhookSecret()
            let eventSecret = makeWebhookSecret()
            let smtp = try PeerProcess(
                script: "smtp_sink.py", arguments: [scratch.file("smtp"), "--reject-rcpt", "alan.turing@example.com"])
            defer { smtp.stop() }
            // The sink checks every request against the events secret only: message webhooks
            // (none here: campaigns go by email) would fail that check.
            let sink = try PeerProcess(
                script: "webhook_sink.py", arguments: [scratch.file("hooks.jsonl"), "--secret", eventSecret])
            defer { sink.stop() }
            let now = EndToEnd.nearlyNow()
            try scratch.write(
                "contacts.csv",
                csv([clientRow("c-001", name: "Ada Lovelace"), customerRow("c-101", name: "Alan Turing")]))
            let config = try scratch.write(
                "rapport.toml", Self.config(smtpPort: smtp.port, webhookPort: sink.port, today: now.date))
            let environment = ["RAPPORT_TEST_SECRET": messageSecret, "RAPPORT_EVENTS_SECRET": eventSecret]

            // First tick: Ada's check-in is sent, Alan's promotion refused at RCPT (failed, and
            // his address suppressed). Every event's first POST gets a 500.
            let first = try rapport(["run", "--once", "--now", now.text, "--config", config], environment: environment)
            #expect(first.status == 0, "\(first)")
            #expect(first.stdout.contains("events sent 0, retrying 3, failed 0"), "\(first.stdout)")
            let entries = try queue(config: config, environment: environment)
            let sent = try #require(entries.first { $0.contactID == "c-001" && $0.state == "sent" }, "\(entries)")
            let failed = try #require(entries.first { $0.contactID == "c-101" && $0.state == "failed" }, "\(entries)")

            // A minute later the retries (5 s ± 20% on the Standard Webhooks schedule) go through.
            let later = now.date.addingTimeInterval(60).formatted(.iso8601)
            let second = try rapport(["run", "--once", "--now", later, "--config", config], environment: environment)
            #expect(second.status == 0, "\(second)")
            #expect(second.stdout.contains("events sent 3, retrying 0, failed 0"), "\(second.stdout)")

            let events = try Self.events(scratch.file("hooks.jsonl"))
            #expect(events.count == 6, "\(events.map(\.type))")
            #expect(events.allSatisfy { $0.verified }, "an event did not verify with the events secret")
            // Each event was posted twice with the same id (and the same signed body).
            let byID = Dictionary(grouping: events, by: \.id)
            #expect(byID.count == 3 && byID.values.allSatisfy { $0.count == 2 }, "\(byID.keys)")
            #expect(byID.keys.allSatisfy { $0.hasPrefix("evt_") })
            let types = Dictionary(
                grouping: Set(events.map { "\($0.id) \($0.type)" }), by: { $0.split(separator: " ")[1] })
            #expect(Set(types.keys) == ["message.sent", "message.failed", "contact.suppressed"], "\(types.keys)")
            let sentEvent = try #require(events.first { $0.type == "message.sent" })
            #expect(sentEvent.data["message_id"] as? String == sent.id)
            #expect(sentEvent.data["contact_id"] as? String == "c-001")
            #expect(sentEvent.data["state"] as? String == "sent")
            let failedEvent = try #require(events.first { $0.type == "message.failed" })
            #expect(failedEvent.data["message_id"] as? String == failed.id)
            #expect((failedEvent.data["detail"] as? String)?.hasPrefix("550") == true, "\(failedEvent.data)")
            let suppressed = try #require(events.first { $0.type == "contact.suppressed" })
            #expect(suppressed.data["address"] as? String == "alan.turing@example.com")
            #expect(suppressed.data["source"] as? String == "smtp")

            // An operator's hold is an event too, queued by the CLI itself and sent by the next tick.
            let open = try #require(
                try queue(config: config, environment: environment).first { $0.state == "scheduled" },
                "nothing left to hold")
            let hold = try rapport(["hold", open.id, "--config", config], environment: environment)
            #expect(hold.status == 0, "\(hold)")
            let third = try rapport(
                ["run", "--once", "--now", now.date.addingTimeInterval(120).formatted(.iso8601), "--config", config],
                environment: environment)
            #expect(third.stdout.contains("events sent 0, retrying 1"), "\(third.stdout)")
            let held = try Self.events(scratch.file("hooks.jsonl")).filter { $0.type == "message.held" }
            #expect(held.first?.data["message_id"] as? String == open.id)
            #expect(held.first?.data["state"] as? String == "held")
        }

        @Test func unknownEventTypesAndMissingTypesAreErrors() throws {
            let scratch = try Scratch("events-config")
            try scratch.write("contacts.csv", csv([clientRow("c-001", name: "Ada Lovelace")]))
            let config = try scratch.write(
                "rapport.toml",
                configuration(rest: "[events]\ntypes = [\"message.sent\", \"message.opened\"]\n"))
            let check = try rapport(["check", "--config", config])
            #expect(check.status != 0)
            #expect(check.stderr.contains("events.types: 'message.opened' is not one of"), "\(check.stderr)")
            let missing = try scratch.write(
                "rapport.toml", configuration(rest: "[events]\nurl = \"http://127.0.0.1:9/\"\n"))
            let second = try rapport(["check", "--config", missing])
            #expect(second.stderr.contains("events.types: required"), "\(second.stderr)")
        }
    }
}
