import Foundation
import Testing

extension RapportCLITests {
    /// One-click unsubscribe (RFC 8058) end to end: a promotion through a real SMTP peer, its
    /// `List-Unsubscribe` link answered by the daemon's listener, the opt-out's effect on the
    /// queue and on data reloads; refused tokens; erasure checked in the database's bytes.
    @Suite(.serialized) struct Unsubscribe {
        static let secret = "an-unsubscribe-secret-of-forty-two-bytes!!"

        static func config(smtpPort: Int, httpPort: Int, today: Date) -> String {
            func day(_ days: Int) -> String { EndToEnd.day(today, plusDays: days) }
            let open = """
                send_at = "00:00"
                days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                hours = "00:00-23:59"
                """
            return """
                [data]
                path = "contacts.csv"

                [store]
                path = "state/rapport.sqlite"

                [templates]
                path = "\(Paths.templates)"

                [sender]
                from = "Northwind Advisory <hello@northwind.example>"
                business_name = "Northwind Advisory"

                [planning]
                stagger_minutes = 0
                promotion_min_interval_days = 0
                caps = []

                [email]
                transport = "smtp"
                url = "smtp://127.0.0.1:\(smtpPort)"
                starttls = "off"
                timeout_seconds = 5

                [webhook]
                transport = "maildir"
                maildir = "hooks"

                [daemon]
                tick_seconds = 1

                [http]
                listen = "127.0.0.1:\(httpPort)"

                [unsubscribe]
                base_url = "http://127.0.0.1:\(httpPort)/"
                mailto = "unsubscribe@northwind.example"
                secret_env = "RAPPORT_UNSUBSCRIBE_SECRET"

                [rules.checkin]
                \(open)

                [rules.progress]
                enabled = false

                [[campaigns]]
                name = "winter-sale"
                starts = \(day(-1))
                ends = \(day(3))
                tags = ["newsletter"]
                require_approval = false
                \(open)

                [[campaigns]]
                name = "spring-preview"
                starts = \(day(6))
                ends = \(day(9))
                tags = ["newsletter"]
                require_approval = false
                \(open)
                """
        }

        /// The header's `<http…>` entry.
        static func link(in header: String) -> URL? {
            guard let match = header.firstMatch(of: /<(http[^>]+)>/) else { return nil }
            return URL(string: String(match.1))
        }

        /// An expired token signed with the right secret, made by Python's `hmac` from the
        /// documented format (`v1.<b64url id>.<scope>.<expiry>.<b64url HMAC-SHA256>`), so the
        /// test does not trust Rapport's own signer.
        static func expiredToken(contactID: String, secret: String) throws -> String {
            let script = """
                import base64, hashlib, hmac, sys, time
                b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
                payload = "v1.%s.promotions.%d" % (b64(sys.argv[1].encode()), int(time.time()) - 3600)
                mac = hmac.new(sys.argv[2].encode(), payload.encode(), hashlib.sha256).digest()
                print(payload + "." + b64(mac))
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, contactID, secret]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw Failure("python3 could not sign a token") }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test func oneClickUnsubscribeCancelsPendingPromotionsAndSurvivesReloads() throws {
            let scratch = try Scratch("unsubscribe")
            let smtp = try PeerProcess(script: "smtp_sink.py", arguments: [scratch.file("smtp")])
            defer { smtp.stop() }
            let httpPort = try freeLoopbackPort()
            let now = EndToEnd.nearlyNow()
            let rows = [
                clientRow("c-001", name: "Ada Lovelace"), customerRow("c-101", name: "Alan Turing"),
                customerRow("c-102", name: "Grace Hopper"),
            ]
            try scratch.write("contacts.csv", csv(rows))
            let config = try scratch.write(
                "rapport.toml", Self.config(smtpPort: smtp.port, httpPort: httpPort, today: now.date))
            let environment = ["RAPPORT_UNSUBSCRIBE_SECRET": Self.secret]

            // A clock one second before a whole minute: the first slot opens a second later.
            let start = now.date.addingTimeInterval(59).formatted(.iso8601)
            let daemon = try startRapport(["run", "--config", config, "--now", start], environment: environment)
            defer { daemon.stop() }
            var mails: [[String: Any]] = []
            let delivered = waitUntil(timeout: .seconds(20)) {
                mails = (try? smtpRecords(in: scratch.file("smtp"))) ?? []
                return mails.count >= 3 || !daemon.isRunning
            }
            try #require(daemon.isRunning, "the daemon exited: \(daemon.stderr)")
            try #require(
                delivered, "expected 3 mails (a check-in, two promotions), got \(mails.count): \(daemon.stderr)")

            // The promotion to Alan carries the one-click headers; the check-in does not.
            func mail(to address: String) -> [String: Any]? {
                mails.first { ($0["rcpt_tos"] as? [String]) == [address] }
            }
            let promotion = try #require(mail(to: "alan.turing@example.com"), "no mail to Alan: \(mails)")
            let headers = promotion["headers"] as? [String: String] ?? [:]
            #expect((promotion["defects"] as? [Any])?.isEmpty == true, "\(promotion["defects"] ?? "")")
            let listUnsubscribe = try #require(headers["List-Unsubscribe"], "no List-Unsubscribe in \(headers)")
            #expect(headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", "\(headers)")
            #expect(listUnsubscribe.contains("<mailto:unsubscribe@northwind.example?subject=unsubscribe>"))
            let url = try #require(Self.link(in: listUnsubscribe), "no http link in \(listUnsubscribe)")
            #expect(url.host == "127.0.0.1" && url.port == httpPort, "\(url)")
            #expect(url.path.hasPrefix("/unsubscribe/"), "\(url)")
            #expect((promotion["text"] as? String)?.contains(url.absoluteString) == true, "the body lacks the link")
            let checkin = try #require(mail(to: "ada.lovelace@example.com"), "no check-in: \(mails)")
            #expect((checkin["headers"] as? [String: String])?["List-Unsubscribe"] == nil)

            // Both customers have the spring preview pending.
            func pending(_ contact: String) throws -> [QueueEntry] {
                try queue(config: config, environment: environment).filter {
                    $0.contactID == contact && $0.rule == "campaign:spring-preview"
                }
            }
            #expect(try pending("c-101").map(\.state) == ["scheduled"])
            #expect(try pending("c-102").map(\.state) == ["scheduled"])

            // A GET (what a link scanner does) only shows the confirmation page.
            let page = try httpGet(port: httpPort, path: url.path)
            #expect(page.status == 200, "\(page)")
            #expect(page.body.contains("<form method=\"post\""), "\(page.body)")
            #expect(!page.body.lowercased().contains("<script"), "\(page.body)")
            #expect(try pending("c-101").map(\.state) == ["scheduled"], "a GET must change nothing")

            // Refused: a POST without the one-click body, an altered, a malformed, an expired token.
            let token = String(url.path.dropFirst("/unsubscribe/".count))
            // The signature's first character: any change there alters the decoded bytes (the
            // last one may only touch unused bits, which the canonical-spelling check refuses).
            let signatureStart = token.index(after: try #require(token.lastIndex(of: ".")))
            var altered = token
            altered.replaceSubrange(
                signatureStart...signatureStart, with: token[signatureStart] == "A" ? "B" : "A")
            let otherContact = token.replacingOccurrences(
                of: token.split(separator: ".")[1], with: "Yy0xMDI")  // base64url("c-102")
            let expired = try Self.expiredToken(contactID: "c-101", secret: Self.secret)
            let refusals: [(String, String, Int)] = [
                ("no one-click body", token, 400), ("altered signature", altered, 403),
                ("another contact's id under Alan's signature", otherContact, 403),
                ("not a token", "hello", 400), ("expired", expired, 403),
            ]
            for (what, candidate, status) in refusals {
                let body = what == "no one-click body" ? "unsubscribe=yes" : "List-Unsubscribe=One-Click"
                let answer = try httpPostForm(port: httpPort, path: "/unsubscribe/\(candidate)", body: body)
                #expect(answer.status == status, "\(what): \(answer)")
            }
            #expect(try pending("c-101").map(\.state) == ["scheduled"], "a refused request must change nothing")
            #expect(try pending("c-102").map(\.state) == ["scheduled"], "a refused request must change nothing")

            // The genuine one-click POST opts Alan out at once: his pending promotion is cancelled.
            let answer = try httpPostForm(port: httpPort, path: url.path, body: "List-Unsubscribe=One-Click")
            #expect(answer.status == 200, "\(answer)")
            #expect(try pending("c-101").map(\.state) == ["cancelled"])
            #expect(try pending("c-102").map(\.state) == ["scheduled"], "Grace is untouched")
            let id = try #require(try pending("c-101").first?.id)
            let show = try rapport(["show", id, "--json", "--config", config], environment: environment)
            #expect(show.stdout.contains("opted out"), "the cancellation reason: \(show)")
            let optOuts = try rapport(["opt-outs", "--config", config], environment: environment)
            #expect(optOuts.status == 0 && optOuts.stdout.contains("c-101"), "\(optOuts)")
            let again = try httpPostForm(port: httpPort, path: url.path, body: "List-Unsubscribe=One-Click")
            #expect(again.status == 200, "repeating the POST is harmless: \(again)")

            // A reload of data that still says marketing_opt_in = true does not resubscribe him.
            try scratch.write("contacts.csv", csv(rows + [customerRow("c-103", name: "Edsger Dijkstra")]))
            let reloaded = try waitUntil(timeout: .seconds(10), interval: .milliseconds(200)) {
                try pending("c-103").map(\.state) == ["scheduled"]
            }
            #expect(reloaded, "the daemon never planned the new contact; stderr: \(daemon.stderr)")
            #expect(try pending("c-101").map(\.state) == ["cancelled"], "the reload resubscribed Alan")
            let contacts = try rapport(["contacts", "--json", "--config", config], environment: environment)
            let alan = try jsonArray(contacts.stdout, what: "rapport contacts --json").first {
                $0["id"] as? String == "c-101"
            }
            #expect(alan?["opted_out"] as? Bool == true, "\(alan ?? [:])")
            #expect(alan?["consent_conflict"] as? Bool == true, "\(alan ?? [:])")
            #expect(mails.count == 3, "no further mail went out")
        }

        /// `forget` leaves none of the person's bytes in the store: the database file, its
        /// write-ahead log and its shared-memory index are scanned for the name and address.
        @Test func forgetLeavesNoTraceOfThePerson() throws {
            let scratch = try Scratch("forget")
            let smtp = try PeerProcess(script: "smtp_sink.py", arguments: [scratch.file("smtp")])
            defer { smtp.stop() }
            let now = EndToEnd.nearlyNow()
            try scratch.write(
                "contacts.csv",
                csv([customerRow("c-101", name: "Alan Turing"), customerRow("c-102", name: "Grace Hopper")]))
            let config = try scratch.write(
                "rapport.toml", Self.config(smtpPort: smtp.port, httpPort: try freeLoopbackPort(), today: now.date))
            let environment = ["RAPPORT_UNSUBSCRIBE_SECRET": Self.secret]
            let run = try rapport(["run", "--once", "--now", now.text, "--config", config], environment: environment)
            try #require(run.status == 0, "\(run)")
            let touch = try rapport(["touch", "c-102", "--note", "Grace called about her order", "--config", config])
            try #require(touch.status == 0, "\(touch)")

            func storeBytes() -> [Data] {
                ["", "-wal", "-shm"].compactMap {
                    FileManager.default.contents(atPath: scratch.file("state/rapport.sqlite") + $0)
                }
            }
            let traces = ["grace.hopper@example.com", "Grace Hopper", "Grace called"]
            for trace in traces {
                #expect(storeBytes().contains { $0.range(of: Data(trace.utf8)) != nil }, "fixture lacks \(trace)")
            }
            // The last plan's record index, a file beside the store, names the contact's id.
            let index = scratch.file("state/rapport.sqlite.plan-index")
            #expect(FileManager.default.contents(atPath: index)?.range(of: Data("c-102".utf8)) != nil)

            let refused = try rapport(["forget", "c-102", "--config", config])
            #expect(refused.status != 0, "forget without --yes on a non-terminal must refuse: \(refused)")
            let forget = try rapport(["forget", "c-102", "--yes", "--config", config])
            try #require(forget.status == 0, "\(forget)")
            for trace in traces {
                #expect(
                    !storeBytes().contains { $0.range(of: Data(trace.utf8)) != nil }, "'\(trace)' is still in the store"
                )
            }
            #expect(!FileManager.default.fileExists(atPath: index), "the record index is erased")
            // Alan's data is intact, and the erasure itself is on record without naming anyone.
            #expect(storeBytes().contains { $0.range(of: Data("alan.turing@example.com".utf8)) != nil })
            let audit = try rapport(["audit", "--json", "--config", config])
            let events = try jsonArray(audit.stdout, what: "rapport audit --json")
            let erasure = events.first { $0["action"] as? String == "forget" }
            #expect(erasure != nil, "no forget event in \(events)")
            #expect(!audit.stdout.contains("c-102") && !audit.stdout.contains("Grace"), "\(audit.stdout)")
        }
    }
}
