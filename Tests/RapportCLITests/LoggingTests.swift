import Foundation
import Testing

extension RapportCLITests {
    /// Log formats of `rapport run`, and what must never be logged.
    @Suite struct Logging {
        /// A real delivery (SMTP and a signed webhook, the secret from `$CREDENTIALS_DIRECTORY`)
        /// with JSON logs: every line is an object, and neither the secret nor any line of the
        /// message bodies appears in the output.
        @Test func jsonLogsNeverHoldSecretsOrBodies() throws {
            let scratch = try Scratch("logs")
            let secret = makeWebhookSecret()
            let smtp = try PeerProcess(script: "smtp_sink.py", arguments: [scratch.file("smtp")])
            defer { smtp.stop() }
            let webhook = try PeerProcess(
                script: "webhook_sink.py", arguments: [scratch.file("webhooks.jsonl"), "--secret", secret])
            defer { webhook.stop() }
            try FileManager.default.createDirectory(
                atPath: scratch.file("credentials"), withIntermediateDirectories: true)
            try scratch.write("credentials/webhook-secret", secret + "\n")

            let now = EndToEnd.nearlyNow()
            try scratch.write(
                "contacts.csv",
                csv([clientRow("c-001", name: "Ada Lovelace"), customerRow("c-101", name: "Alan Turing")]))
            let config = EndToEnd.config(
                smtpPort: smtp.port, webhookPort: webhook.port, campaignStarts: EndToEnd.day(now.date, plusDays: -1),
                campaignEnds: EndToEnd.day(now.date, plusDays: 10)
            ).replacingOccurrences(
                of: "secret_env = \"RAPPORT_TEST_SECRET\"", with: "secret_credential = \"webhook-secret\"")
            let path = try scratch.write("rapport.toml", config)

            let run = try rapport(
                ["run", "--once", "--log-format", "json", "--now", now.text, "--config", path],
                environment: ["CREDENTIALS_DIRECTORY": scratch.file("credentials")])
            try #require(run.status == 0, "\(run)")
            #expect(run.stdout.contains("sent 2, retrying 0, failed 0"), "\(run)")

            let lines = run.errorLines
            #expect(!lines.isEmpty)
            for line in lines {
                let object = try jsonObject(line, what: "log line")
                #expect(object["ts"] is String && object["level"] is String && object["msg"] is String, "\(line)")
            }
            #expect(lines.contains { $0.contains("\"msg\":\"sent\"") }, "no 'sent' events: \(lines)")

            // What was delivered, and so must not be in the log.
            let mails = try smtpRecords(in: scratch.file("smtp"))
            let requests = try webhookRecords(at: scratch.file("webhooks.jsonl"))
            try #require(mails.count == 1 && requests.count == 1, "mails \(mails.count), webhooks \(requests.count)")
            #expect(requests[0]["verified"] as? Bool == true, "the credential's secret did not sign")
            let bodyLines = ((mails[0]["text"] as? String) ?? "").split(separator: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.count >= 12 }
            try #require(!bodyLines.isEmpty, "the mail had no body text to look for")
            let secretKey = String(secret.dropFirst("whsec_".count))
            let output = run.stdout + run.stderr
            #expect(!output.contains(secretKey), "the webhook secret was logged")
            for line in bodyLines {
                #expect(!output.contains(line), "a body line was logged: \(line)")
            }
            let webhookBody = (requests[0]["body"] as? String) ?? ""
            #expect(!webhookBody.isEmpty && !output.contains(webhookBody), "the webhook body was logged")
        }

        /// `--log-format journal`: a `<N>` priority per line, no timestamp of our own.
        @Test func journalFormat() throws {
            let scratch = try Scratch("logs-journal")
            try scratch.write("contacts.csv", csv([clientRow("c-001", name: "Ada Lovelace")]))
            let config = try scratch.write("rapport.toml", configuration(rest: maildirTransports))
            let run = try rapport(
                ["run", "--once", "--log-format", "journal", "--now", "2026-12-07T10:00:00Z", "--config", config])
            try #require(run.status == 0, "\(run)")
            let lines = run.errorLines
            #expect(!lines.isEmpty)
            for line in lines {
                #expect(line.wholeMatch(of: /<[0-7]>[^<].*/) != nil, "not a journal line: \(line)")
                #expect(line.firstMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d/) == nil, "a timestamp in: \(line)")
            }
            #expect(lines.contains { $0.hasPrefix("<6>sent ") }, "\(lines)")
        }

        /// The default for a terminal: a timestamp and the level on each line.
        @Test func textFormat() throws {
            let scratch = try Scratch("logs-text")
            try scratch.write("contacts.csv", csv([clientRow("c-001", name: "Ada Lovelace")]))
            let config = try scratch.write("rapport.toml", configuration(rest: maildirTransports))
            let run = try rapport(["run", "--once", "--now", "2026-12-07T10:00:00Z", "--config", config])
            try #require(run.status == 0, "\(run)")
            #expect(!run.errorLines.isEmpty)
            for line in run.errorLines {
                #expect(
                    line.wholeMatch(
                        of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info|notice|warning|error|critical) .+/
                    ) != nil, "\(line)")
            }
        }
    }
}
