import Foundation
import Testing

extension RapportCLITests {
    /// The operator's desk: listing, filtering, formats, steering in bulk, contacts, status, audit.
    @Suite struct OperatorDesk {
        /// Two clients of different managers and a customer, planned as of Monday 7 December 2026.
        func workspace(_ name: String, extra: String = "") throws -> (Scratch, String) {
            let scratch = try Scratch(name)
            let contacts = """
                [
                  {"id": "c-1", "name": "Ada Lovelace", "email": "ada@example.com", "kind": "client",
                   "timezone": "Europe/London", "tier": "gold", "last_contact_at": "2026-12-02T10:00:00Z",
                   "account_manager": {"name": "Mary Somerville", "email": "mary@firm.example"},
                   "projects": [{"id": "p-1", "name": "Pension review", "status": "active", "progress": 40}]},
                  {"id": "c-2", "name": "Charles Babbage", "email": "charles@example.com", "kind": "client",
                   "timezone": "America/New_York", "tier": "silver", "last_contact_at": "2026-12-01T10:00:00Z",
                   "account_manager": {"name": "John Herschel", "email": "john@firm.example"}},
                  {"id": "k-1", "name": "Alan Turing", "email": "alan@example.com", "kind": "customer",
                   "timezone": "Europe/Berlin", "marketing_opt_in": true, "tags": ["news"]}
                ]
                """
            try scratch.write("contacts.json", contacts)
            let config = try scratch.write(
                "rapport.toml",
                configuration(
                    data: "contacts.json",
                    rest: maildirTransports + """

                        [[campaigns]]
                        name = "winter-sale"
                        starts = 2026-12-08
                        ends = 2026-12-20
                        tags = ["news"]
                        \(extra)
                        """))
            let plan = try rapport(["plan", "--now", "2026-12-07T08:00:00Z", "--config", config])
            try #require(plan.status == 0, "\(plan)")
            return (scratch, config)
        }

        @Test func queueFiltersAndFormats() throws {
            let (scratch, config) = try workspace("desk-queue")
            defer { withExtendedLifetime(scratch) {} }
            let all = try queue(config: config)
            #expect(all.count >= 6, "\(all)")

            func ids(_ arguments: [String]) throws -> [String] {
                let result = try rapport(["queue", "--json", "--config", config] + arguments)
                try #require(result.status == 0, "\(result)")
                return try jsonArray(result.stdout, what: "queue").compactMap { $0["id"] as? String }
            }
            let progress = try ids(["--rule", "progress"])
            #expect(!progress.isEmpty)
            #expect(Set(progress) == Set(all.filter { $0.rule.hasPrefix("progress:") }.map(\.id)))
            #expect(
                try ids(["--campaign", "winter-sale"]) == all.filter { $0.rule == "campaign:winter-sale" }.map(\.id))
            #expect(try ids(["--manager", "john herschel"]) == all.filter { $0.contactID == "c-2" }.map(\.id))
            #expect(try ids(["--kind", "customer"]) == all.filter { $0.kind == "customer" }.map(\.id))
            let early = try ids(["--due-before", "2026-12-09T00:00:00Z", "--due-after", "2026-12-07T00:00:00Z"])
            #expect(
                Set(early)
                    == Set(
                        all.filter {
                            $0.dueAt < instant("2026-12-09T00:00:00Z") && $0.dueAt >= instant("2026-12-07T00:00:00Z")
                        }.map(\.id)))
            #expect(!early.isEmpty)
            // Sorted by due time.
            #expect(all.map(\.dueAt) == all.map(\.dueAt).sorted())

            // CSV: a header and one row per message; the subject with a comma is quoted.
            let csv = try rapport(["queue", "--format", "csv", "--config", config])
            let lines = csv.stdout.split(separator: "\r\n")
            #expect(lines.first == "id,due_at,state,kind,contact_id,rule,channel,recipient,subject")
            #expect(lines.count == all.count + 1, "\(csv)")
            #expect(csv.stdout.contains("\"Alan, something for you from Northwind Advisory\""))

            // The table fits 80 columns and ends with the counts by state.
            let table = try rapport(["queue", "--config", config])
            let rows = table.stdout.split(separator: "\n")
            #expect(rows.allSatisfy { $0.count <= 80 }, "\(table)")
            #expect(rows.last?.hasPrefix("\(all.count) messages:") == true, "\(table)")
            #expect(rows.first?.hasPrefix("ID") == true)

            // A filter that matches nothing exits 3.
            let none = try rapport(["queue", "--contact", "nobody", "--config", config])
            #expect(none.status == 3, "\(none)")
        }

        @Test func steeringOneOrManyWithRefusalsAndConfirmation() throws {
            let (scratch, config) = try workspace("desk-steer")
            defer { withExtendedLifetime(scratch) {} }
            let all = try queue(config: config)
            let checkins = all.filter { $0.rule == "checkin" }
            try #require(checkins.count == 2, "\(all)")

            // Bulk without --yes and without a terminal: refused, nothing changed.
            let unconfirmed = try rapport(["hold", "--all-matching", "--rule", "checkin", "--config", config])
            #expect(unconfirmed.status == 1, "\(unconfirmed)")
            #expect(unconfirmed.stderr.contains("--yes"))
            #expect(try queue(config: config).filter { $0.state == "held" }.isEmpty)

            let bulk = try rapport([
                "hold", "--all-matching", "--rule", "checkin", "--yes", "--as", "bob", "--config", config,
            ])
            #expect(bulk.status == 0, "\(bulk)")
            #expect(bulk.stdout.contains("2 held, 0 refused"), "\(bulk)")
            #expect(Set(try queue(config: config).filter { $0.state == "held" }.map(\.id)) == Set(checkins.map(\.id)))

            // Reschedule keeps a hold; send-now releases it, due at once.
            let target = checkins[0].id
            let moved = try rapport(["reschedule", target, "--at", "2026-12-24T09:00:00Z", "--config", config])
            #expect(moved.status == 0, "\(moved)")
            let after = try #require(try queue(config: config).first { $0.id == target })
            #expect(after.dueAtText == "2026-12-24T09:00:00Z")
            #expect(after.state == "held")
            let now = try rapport(["send-now", String(target.prefix(8)), "--config", config])
            #expect(now.status == 0, "\(now)")
            let due = try #require(try queue(config: config).first { $0.id == target })
            #expect(due.state == "scheduled")
            #expect(abs(due.dueAt.timeIntervalSinceNow) < 60)

            // A promotion waiting for approval cannot be sent now; retry applies to failed only.
            let promotion = try #require(all.first { $0.rule == "campaign:winter-sale" })
            let refused = try rapport(["send-now", promotion.id, "--config", config])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("refused \(promotion.id): it needs approval first"), "\(refused)")
            let retry = try rapport(["retry", promotion.id, "--config", config])
            #expect(retry.status == 1)
            #expect(retry.stderr.contains("retry applies to failed"), "\(retry)")

            // A mistyped id: exit 3 and the nearest id is suggested.
            var typo = Array(target)
            typo[typo.count - 1] = typo.last == "0" ? "1" : "0"
            let unknown = try rapport(["show", String(typo), "--config", config])
            #expect(unknown.status == 3, "\(unknown)")
            #expect(unknown.stderr.contains("did you mean \(target)?"), "\(unknown)")

            // Usage errors exit 2.
            let usage = try rapport(["hold", "--all-matching", "--config", config])
            #expect(usage.status == 2, "\(usage)")

            // The audit trail has every action, with who did it.
            let audit = try rapport(["audit", "--json", "--config", config])
            let events = try jsonArray(audit.stdout, what: "audit")
            #expect(events.map { $0["action"] as? String } == ["hold", "hold", "reschedule", "send-now"])
            #expect(events.prefix(2).allSatisfy { $0["actor"] as? String == "bob" })
            let bobs = try rapport(["audit", "--actor", "bob", "--format", "csv", "--config", config])
            #expect(bobs.stdout.split(separator: "\r\n").count == 3, "\(bobs)")

            // The next run sends what was made due now: its plan renders it, and keeps the
            // operator's time instead of moving it back to the schedule's.
            let run = try rapport(["run", "--once", "--config", config])
            #expect(run.status == 0, "\(run)")
            let sent = try #require(try queue(config: config).first { $0.id == target })
            #expect(sent.state == "sent", "\(run)")
        }

        @Test func retryBringsBackAFailedMessage() throws {
            // One attempt only, to a relay that is not there: the check-ins fail for good.
            let scratch = try Scratch("desk-retry")
            try scratch.write("contacts.csv", csv([clientRow("c-1", name: "Ada Lovelace")]))
            let config = try scratch.write(
                "rapport.toml",
                configuration(
                    rest: """
                        [email]
                        transport = "smtp"
                        url = "smtp://127.0.0.1:9"
                        starttls = "off"
                        [daemon]
                        max_attempts = 1
                        [rules.progress]
                        enabled = false
                        """))
            let run = try rapport(["run", "--once", "--now", "2026-12-07T10:00:00Z", "--config", config])
            #expect(run.status == 0, "\(run)")
            let failed = try #require(try queue(config: config).first)
            #expect(failed.state == "failed", "\(failed)")
            let show = try jsonObject(
                try rapport(["show", failed.id, "--json", "--config", config]).stdout, what: "show")
            #expect(
                ((show["message"] as? [String: Any])?["last_error"] as? String)?.contains("gave up after 1 attempts")
                    == true)
            let retry = try rapport(["retry", failed.id, "--config", config])
            #expect(retry.status == 0, "\(retry)")
            let again = try #require(try queue(config: config).first)
            #expect(again.state == "scheduled")
        }

        @Test func showTellsEverythingAboutOneMessage() throws {
            let (scratch, config) = try workspace("desk-show")
            defer { withExtendedLifetime(scratch) {} }
            let checkin = try #require(
                try queue(config: config).first { $0.contactID == "c-1" && $0.rule == "checkin" })
            // Planned on the 7th, due on the 9th: beyond the 48 h render window, so not rendered yet.
            let early = try jsonObject(
                try rapport(["show", checkin.id, "--json", "--config", config]).stdout, what: "show")
            #expect(early["rendered"] as? Bool == false)
            #expect(early["timezone"] as? String == "Europe/London")
            #expect((early["text"] as? String)?.isEmpty == true)
            let unrendered = try rapport(["show", checkin.id, "--config", config])
            #expect(unrendered.stdout.contains("Not rendered yet: it is rendered 48 hours before it is due"))
            #expect(unrendered.stdout.contains("To: ada@example.com"), "\(unrendered)")
            #expect(!unrendered.stdout.contains("--- text ---"), "\(unrendered)")
            let listed = try rapport(["queue", "--contact", "c-1", "--config", config])
            #expect(listed.stdout.contains("(not render"), "\(listed)")  // cut to the width of the column
            #expect(listed.stdout.contains("\(checkin.id.prefix(10)) 2026-12-09 10:00 scheduled "), "\(listed)")

            // A plan within 48 h of its due time renders it.
            let plan = try rapport(["plan", "--now", "2026-12-08T08:00:00Z", "--config", config])
            #expect(plan.status == 0, "\(plan)")
            let result = try rapport(["show", checkin.id, "--json", "--config", config])
            let detail = try jsonObject(result.stdout, what: "show")
            #expect(detail["rendered"] as? Bool == true)
            #expect(detail["timezone"] as? String == "Europe/London")
            #expect((detail["due_local"] as? String)?.hasSuffix("Europe/London") == true)
            let headers = detail["headers"] as? [String] ?? []
            #expect(headers.contains("Message-ID: <\(checkin.id)@northwind.example>"), "\(headers)")
            #expect(headers.contains { $0.hasPrefix("Reply-To: Mary Somerville <mary@firm.example>") }, "\(headers)")
            #expect((detail["text"] as? String)?.contains("Dear Ada") == true)
            let human = try rapport(["show", checkin.id, "--html", "--config", config])
            #expect(human.stdout.contains("Why       check-in every 7 days"), "\(human)")
            #expect(human.stdout.contains("--- html ---"))
            #expect(human.stdout.contains("GMT, Europe/London"), "\(human)")
        }

        @Test func contactsFlagOverdueClientsAndShowTimelines() throws {
            let scratch = try Scratch("desk-contacts")
            let contacts = """
                [
                  {"id": "c-quiet", "name": "Quiet Client", "email": "q@example.com", "kind": "client",
                   "timezone": "UTC", "tier": "standard", "last_contact_at": "2026-06-01T10:00:00Z"},
                  {"id": "c-fine", "name": "Fine Client", "email": "f@example.com", "kind": "client",
                   "timezone": "UTC", "tier": "standard", "last_contact_at": "\(Date().addingTimeInterval(-86_400).formatted(.iso8601))"},
                  {"id": "k-1", "name": "Alan Turing", "email": "alan@example.com", "kind": "customer", "timezone": "UTC"}
                ]
                """
            try scratch.write("contacts.json", contacts)
            // Check-ins off: nobody is planned, so the quiet client is overdue.
            let config = try scratch.write(
                "rapport.toml",
                configuration(data: "contacts.json", rest: maildirTransports + "\n[rules.checkin]\nenabled = false"))
            let listed = try rapport(["contacts", "--json", "--config", config])
            #expect(listed.status == 0, "\(listed)")
            let rows = try jsonArray(listed.stdout, what: "contacts")
            let overdue = rows.filter { $0["overdue"] as? Bool == true }.compactMap { $0["id"] as? String }
            #expect(overdue == ["c-quiet"], "\(rows)")
            let only = try rapport(["contacts", "--overdue", "--config", config])
            #expect(only.stdout.contains("c-quiet") && !only.stdout.contains("c-fine"), "\(only)")
            #expect(only.stdout.contains("OVERDUE"))

            // A real conversation restarts the cadence: no longer overdue, and on the timeline.
            let touched = try rapport([
                "touch", "c-quiet", "--at=-2d", "--note", "lunch", "--as", "mary", "--config", config,
            ])
            #expect(touched.status == 0, "\(touched)")
            let typo = try rapport(["touch", "c-quite", "--config", config])
            #expect(typo.status == 3 && typo.stderr.contains("did you mean c-quiet?"), "\(typo)")
            let after = try jsonArray(try rapport(["contacts", "--json", "--config", config]).stdout, what: "contacts")
            #expect(after.allSatisfy { $0["overdue"] as? Bool == false }, "\(after)")
            let quiet = try jsonArray(
                try rapport(["contact", "c-quiet", "--json", "--config", config]).stdout, what: "contact")
            #expect(
                quiet.contains { $0["what"] as? String == "touchpoint" && $0["detail"] as? String == "by mary: lunch" },
                "\(quiet)")
            let audit = try rapport(["audit", "--contact", "c-quiet", "--config", config])
            #expect(audit.stdout.contains("touch") && audit.stdout.contains("mary"), "\(audit)")

            // A customer becomes a client: the change is on the timeline.
            _ = try rapport(["run", "--once", "--now", "2026-12-07T10:00:00Z", "--config", config])
            try scratch.write("contacts.json", contacts.replacingOccurrences(of: "\"customer\"", with: "\"client\""))
            _ = try rapport(["run", "--once", "--now", "2026-12-07T11:00:00Z", "--config", config])
            let timeline = try rapport(["contact", "k-1", "--json", "--config", config])
            let entries = try jsonArray(timeline.stdout, what: "contact")
            #expect(
                entries.contains {
                    $0["what"] as? String == "kind-change" && $0["detail"] as? String == "customer → client"
                }, "\(entries)")
            let missing = try rapport(["contact", "k-2", "--config", config])
            #expect(missing.status == 3)
            #expect(missing.stderr.contains("did you mean k-1?"), "\(missing)")
        }

        @Test func statusReportsTheDaemon() throws {
            let (scratch, config) = try workspace("desk-status", extra: "\n[daemon]\ntick_seconds = 1")
            let idle = try rapport(["status", "--config", config])
            #expect(idle.stdout.contains("daemon    not running"), "\(idle)")
            #expect(idle.stdout.contains("messages  "), "\(idle)")

            let daemon = try startRapport(["run", "--config", config, "--now", "2026-12-07T08:00:30Z"])
            defer { daemon.stop() }
            var report: [String: Any] = [:]
            let up = try waitUntil(timeout: .seconds(10), interval: .milliseconds(100)) {
                report = try jsonObject(try rapport(["status", "--json", "--config", config]).stdout, what: "status")
                return report["running"] as? Bool == true && (report["daemon"] as? [String: Any])?["lastTickAt"] != nil
            }
            #expect(up, "\(report)\n\(daemon.stderr)")
            #expect((report["daemon"] as? [String: Any])?["pid"] as? Int == Int(daemon.pid))
            let human = try rapport(["status", "--config", config])
            #expect(human.stdout.contains("daemon    running: pid \(daemon.pid)"), "\(human)")
            #expect(human.stdout.contains("last tick"), "\(human)")
            daemon.send(SIGTERM)
            #expect(daemon.wait(timeout: .seconds(5)))
            let stopped = try rapport(["status", "--config", config])
            #expect(stopped.stdout.contains("not running, stopped"), "\(stopped)")
            withExtendedLifetime(scratch) {}
        }
    }
}
