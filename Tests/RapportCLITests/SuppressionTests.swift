import Foundation
import Testing

extension RapportCLITests {
    /// The suppression list against a real SMTP peer: a 550 at RCPT fails the message and
    /// suppresses the address, a 451 is retried, operators add and remove entries, and an erased
    /// person is not brought back by the next import.
    @Suite struct Suppression {
        static func config(smtpPort: Int, today: Date) -> String {
            Unsubscribe.config(smtpPort: smtpPort, httpPort: 9, today: today)
                .replacingOccurrences(of: "[http]\nlisten = \"127.0.0.1:9\"\n", with: "")
                .replacingOccurrences(of: "[daemon]\ntick_seconds = 1\n", with: "[daemon]\nretry_base_seconds = 1\n")
        }

        func suppressions(_ config: String) throws -> [[String: Any]] {
            let list = try rapport(["suppressions", "list", "--json", "--config", config])
            try #require(list.status == 0, "\(list)")
            return try jsonArray(list.stdout, what: "rapport suppressions list --json")
        }

        @Test func refusedAddressesAreSuppressedAndNeverPlannedAgain() throws {
            let scratch = try Scratch("suppression")
            let smtp = try PeerProcess(
                script: "smtp_sink.py",
                arguments: [scratch.file("smtp"), "--reject-rcpt", "alan.turing@example.com", "--fail-first-data"])
            defer { smtp.stop() }
            let now = EndToEnd.nearlyNow()
            let rows = [
                customerRow("c-101", name: "Alan Turing"), customerRow("c-102", name: "Grace Hopper"),
                customerRow("c-103", name: "Edsger Dijkstra"),
            ]
            try scratch.write("contacts.csv", csv(rows))
            let config = try scratch.write("rapport.toml", Self.config(smtpPort: smtp.port, today: now.date))
            let environment = ["RAPPORT_UNSUBSCRIBE_SECRET": Unsubscribe.secret]
            func entries() throws -> [QueueEntry] { try queue(config: config, environment: environment) }
            func states(_ contact: String) throws -> [String: String] {
                Dictionary(
                    try entries().filter { $0.contactID == contact }.map { ($0.rule, $0.state) },
                    uniquingKeysWith: { a, _ in a })
            }

            // First tick: Alan is refused at RCPT; the first DATA gets a 451.
            let first = try rapport(
                ["run", "--once", "--now", now.text, "--config", config], environment: environment)
            #expect(first.status == 0, "\(first)")
            #expect(first.stdout.contains("failed 1"), "\(first.stdout)")
            #expect(first.stdout.contains("retrying 1"), "\(first.stdout)")
            #expect(try states("c-101")["campaign:winter-sale"] == "failed")
            #expect(
                try states("c-101")["campaign:spring-preview"] == "cancelled",
                "the pending promotion to a refused address is cancelled at once")
            let listed = try suppressions(config)
            #expect(listed.count == 1, "\(listed)")
            #expect(listed.first?["address"] as? String == "alan.turing@example.com")
            #expect(listed.first?["source"] as? String == "smtp")
            #expect((listed.first?["reason"] as? String)?.hasPrefix("550") == true, "\(listed)")

            // A later tick: the 451 is retried and sent; nothing new is planned to Alan.
            let later = EndToEnd.nearlyNow().date.addingTimeInterval(120).formatted(.iso8601)
            let second = try rapport(["run", "--once", "--now", later, "--config", config], environment: environment)
            #expect(second.status == 0 && second.stdout.contains("sent 1"), "\(second)")
            #expect(try smtpRecords(in: scratch.file("smtp")).count == 2, "Grace and Edsger, once each")
            #expect(try entries().filter { $0.contactID == "c-101" }.count == 2, "nothing new for Alan")

            // An operator suppresses Grace: her pending promotion is cancelled; removing it
            // lets the next plan schedule her again (the cancelled row stays cancelled).
            let add = try rapport(
                ["suppressions", "add", "grace.hopper@example.com", "--reason", "asked by phone", "--config", config])
            #expect(add.status == 0 && add.stdout.contains("cancelled 1 open message"), "\(add)")
            #expect(try states("c-102")["campaign:spring-preview"] == "cancelled")
            let table = try rapport(["suppressions", "--config", config])
            #expect(table.stdout.contains("grace.hopper@example.com") && table.stdout.contains("operator"), "\(table)")
            let remove = try rapport(["suppressions", "remove", "grace.hopper@example.com", "--config", config])
            #expect(remove.status == 0, "\(remove)")
            let again = try rapport(["suppressions", "remove", "grace.hopper@example.com", "--config", config])
            #expect(again.status == 3, "removing twice: nothing matched: \(again)")
            let bad = try rapport(["suppressions", "add", "not-an-address", "--reason", "x", "--config", config])
            #expect(bad.status == 2 && bad.stderr.contains("'not-an-address' is not an email address"), "\(bad)")

            // Forget Edsger, then an import that still lists him: no promotion comes back.
            let forget = try rapport(["forget", "c-103", "--yes", "--config", config])
            #expect(forget.status == 0, "\(forget)")
            let replan = try rapport(["plan", "--now", later, "--config", config], environment: environment)
            #expect(replan.status == 0, "\(replan)")
            #expect(try entries().filter { $0.contactID == "c-103" }.isEmpty, "the erased customer came back")
            let all = try suppressions(config)
            let hashed = all.first { $0["source"] as? String == "erasure" }
            #expect(hashed != nil && hashed?["address"] == nil, "\(all)")
            #expect(
                !(try rapport(["suppressions", "list", "--format", "csv", "--config", config]).stdout.contains(
                    "edsger")), "the erased address must not be listed")
        }
    }
}
