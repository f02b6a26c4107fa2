import Foundation
import Testing

extension RapportCLITests {
    /// `rapport run --once` over the real SMTP and webhook peers.
    @Suite struct EndToEnd {
        /// A `--now` within a minute of the wall clock (so that Standard Webhooks' five-minute
        /// timestamp tolerance holds), on a whole minute, never in the last minute of a UTC day.
        static func nearlyNow() -> (text: String, date: Date) {
            var seconds = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60
            if Int(seconds) % 86_400 == 86_340 { seconds -= 60 }
            let date = Date(timeIntervalSince1970: seconds)
            return (date.formatted(.iso8601), date)
        }

        static func day(_ date: Date, plusDays days: Int) -> String {
            String(date.addingTimeInterval(Double(days) * 86_400).formatted(.iso8601).prefix(10))
        }

        /// Check-ins by SMTP, a promotion by signed webhook; every day and hour open so that the
        /// messages are due at `--now` whatever the wall clock says.
        static func config(smtpPort: Int, webhookPort: Int, campaignStarts: String, campaignEnds: String) -> String {
            configuration(
                rest: """
                    [email]
                    transport = "smtp"
                    url = "smtp://127.0.0.1:\(smtpPort)"
                    starttls = "off"
                    timeout_seconds = 5

                    [webhook]
                    transport = "http"
                    url = "http://127.0.0.1:\(webhookPort)/ok"
                    secret_env = "RAPPORT_TEST_SECRET"
                    timeout_seconds = 5

                    [rules.checkin]
                    send_at = "00:00"
                    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                    hours = "00:00-23:59"

                    [rules.progress]
                    enabled = false

                    [[campaigns]]
                    name = "winter-sale"
                    starts = \(campaignStarts)
                    ends = \(campaignEnds)
                    tags = ["newsletter"]
                    channel = "webhook"
                    require_approval = false
                    send_at = "00:00"
                    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                    hours = "00:00-23:59"
                    """)
        }

        @Test func sendsOverSMTPAndSignedWebhook() throws {
            let scratch = try Scratch("e2e")
            let secret = makeWebhookSecret()
            let smtp = try PeerProcess(script: "smtp_sink.py", arguments: [scratch.file("smtp")])
            defer { smtp.stop() }
            let webhook = try PeerProcess(
                script: "webhook_sink.py", arguments: [scratch.file("webhooks.jsonl"), "--secret", secret])
            defer { webhook.stop() }

            let now = Self.nearlyNow()
            try scratch.write(
                "contacts.csv",
                csv([clientRow("c-001", name: "Ada Lovelace"), customerRow("c-101", name: "Alan Turing")]))
            let config = try scratch.write(
                "rapport.toml",
                Self.config(
                    smtpPort: smtp.port, webhookPort: webhook.port, campaignStarts: Self.day(now.date, plusDays: -1),
                    campaignEnds: Self.day(now.date, plusDays: 10)))
            let environment = ["RAPPORT_TEST_SECRET": secret]

            let run = try rapport(["run", "--once", "--now", now.text, "--config", config], environment: environment)
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("sent 2, retrying 0, failed 0"), "\(run)")

            // The queue, as JSON.
            let listing = try rapport(["queue", "--json", "--config", config], environment: environment)
            try #require(listing.status == 0, "\(listing)")
            let objects = try jsonArray(listing.stdout, what: "rapport queue --json")
            for object in objects {
                let missing = QueueEntry.requiredKeys.filter { object[$0] == nil }
                #expect(missing.isEmpty, "queue entry lacks \(missing): \(object)")
            }
            let entries = try objects.map(QueueEntry.init)
            for entry in entries {
                #expect(
                    entry.dueAtText.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil,
                    "due_at must be UTC ISO 8601 ending in Z: \(entry)")
            }
            let email = try #require(
                entries.first { $0.contactID == "c-001" && $0.rule == "checkin" && $0.channel == "email" },
                "no check-in for c-001 in \(entries)")
            let hook = try #require(
                entries.first { $0.contactID == "c-101" && $0.channel == "webhook" }, "no webhook message in \(entries)"
            )
            #expect(email.state == "sent", "\(email)")
            #expect(email.kind == "client")
            #expect(hook.state == "sent", "\(hook)")
            #expect(hook.kind == "customer")
            #expect(hook.rule == "campaign:winter-sale")
            #expect(!email.subject.isEmpty && !hook.subject.isEmpty)

            // The SMTP sink got exactly one well-formed message with our id.
            var mails: [[String: Any]] = []
            waitUntil(timeout: .seconds(5)) {
                mails = (try? smtpRecords(in: scratch.file("smtp"))) ?? []
                return !mails.isEmpty
            }
            try #require(mails.count == 1, "SMTP sink records: \(mails)")
            let mail = mails[0]
            #expect((mail["defects"] as? [Any])?.isEmpty == true, "MIME defects: \(mail["defects"] ?? "none given")")
            let headers = mail["headers"] as? [String: String] ?? [:]
            let messageID = headers["Message-ID"] ?? headers.first { $0.key.lowercased() == "message-id" }?.value ?? ""
            #expect(messageID.contains(email.id), "Message-ID \(messageID) should contain \(email.id)")
            #expect((mail["rcpt_tos"] as? [String]) == ["ada.lovelace@example.com"], "\(mail["rcpt_tos"] ?? "")")
            #expect((mail["text"] as? String)?.isEmpty == false)

            // The webhook sink got one verified request whose data.id is the message id.
            var requests: [[String: Any]] = []
            waitUntil(timeout: .seconds(5)) {
                requests = (try? webhookRecords(at: scratch.file("webhooks.jsonl"))) ?? []
                return !requests.isEmpty
            }
            try #require(requests.count == 1, "webhook sink records: \(requests)")
            let request = requests[0]
            #expect(request["verified"] as? Bool == true, "signature not verified: \(request["verify_errors"] ?? "")")
            #expect(request["path"] as? String == "/ok")
            let body = try jsonObject(request["body"] as? String ?? "", what: "webhook body")
            let data = body["data"] as? [String: Any] ?? [:]
            #expect(data["id"] as? String == hook.id, "body: \(body)")
            #expect((request["headers"] as? [String: String])?["webhook-id"] == hook.id)

            // show --json includes the attempts.
            for id in [email.id, hook.id] {
                let show = try rapport(["show", id, "--json", "--config", config], environment: environment)
                try #require(show.status == 0, "\(show)")
                let detail = try jsonObject(show.stdout, what: "rapport show --json")
                let attempts = try #require(detail["attempts"] as? [[String: Any]], "no attempts in \(detail)")
                #expect(attempts.count == 1, "\(attempts)")
                #expect(attempts.first?["outcome"] as? String == "delivered", "\(attempts)")
                #expect((detail["message"] as? [String: Any])?["id"] as? String == id)
            }
        }

        /// With `--now` far from the wall clock (the documented way to run a deterministic tick),
        /// webhooks must still verify: Standard Webhooks receivers reject a `webhook-timestamp`
        /// more than five minutes from their own clock.
        @Test func webhookSignatureVerifiesWithFixedNow() throws {
            let scratch = try Scratch("e2e-fixed")
            let secret = makeWebhookSecret()
            let webhook = try PeerProcess(
                script: "webhook_sink.py", arguments: [scratch.file("webhooks.jsonl"), "--secret", secret])
            defer { webhook.stop() }
            try scratch.write("contacts.csv", csv([customerRow("c-101", name: "Alan Turing")]))
            let config = try scratch.write(
                "rapport.toml",
                Self.config(
                    smtpPort: 9, webhookPort: webhook.port, campaignStarts: "2026-12-01", campaignEnds: "2026-12-20"))
            let environment = ["RAPPORT_TEST_SECRET": secret]
            let run = try rapport(
                ["run", "--once", "--now", "2026-12-07T10:00:00Z", "--config", config], environment: environment)
            #expect(run.status == 0, "\(run)")
            let entries = try queue(config: config, environment: environment)
            let hook = try #require(entries.first { $0.channel == "webhook" }, "\(entries)")
            #expect(hook.state == "sent", "\(hook)")
            let requests = try webhookRecords(at: scratch.file("webhooks.jsonl"))
            try #require(requests.count == 1, "\(requests)")
            let timestamp = (requests[0]["headers"] as? [String: String])?["webhook-timestamp"] ?? "?"
            let problems = requests[0]["verify_errors"] ?? ""
            #expect(
                requests[0]["verified"] as? Bool == true,
                "webhook-timestamp \(timestamp) (from --now) rejected: \(problems)")
        }
    }
}
