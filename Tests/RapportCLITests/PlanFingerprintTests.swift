import Foundation
import Testing

extension RapportCLITests {
    /// A plan whose inputs did not change is not made again; any input that changes is noticed.
    @Suite struct PlanFingerprint {
        static let unchanged = "nothing changed since the last plan"

        /// `plan --json` prints the plan's lines as one JSON array, element by element as the
        /// plan is stored: the same changes as the text lines, and `[]` for none; a closed
        /// array when the plan fails.
        @Test func theJSONPlanListsWhatTheTextPlanLists() throws {
            let scratch = try Scratch("plan-json")
            try scratch.write("contacts.csv", csv((0..<40).map { clientRow("c-\($0)", name: "Client \($0)") }))
            let config = try scratch.write("rapport.toml", configuration(rest: maildirTransports))
            let now = "2026-12-07T10:00:00Z"
            let text = try rapport(["plan", "--dry-run", "--now", now, "--config", config])
            let json = try rapport(["plan", "--dry-run", "--json", "--now", now, "--config", config])
            try #require(text.status == 0 && json.status == 0, "\(text) \(json)")
            let lines = text.stdout.split(separator: "\n").dropLast()
            let array = try #require(
                try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], "\(json.stdout)")
            #expect(lines.count >= 40 && array.count == lines.count)
            #expect(
                array.map { "\($0["action"] ?? "") \($0["id"] ?? "")" }
                    == lines.map { "\($0.split(separator: " ")[0]) \($0.split(separator: " ")[1])" })
            #expect(array.allSatisfy { ($0["due_at"] as? String)?.hasSuffix("Z") == true })

            let stored = try rapport(["plan", "--now", now, "--config", config])
            try #require(stored.status == 0, "\(stored)")
            let nothing = try rapport(["plan", "--force", "--json", "--now", now, "--config", config])
            #expect(nothing.status == 0 && nothing.stdout == "[]\n", "\(nothing)")

            // A plan that fails still prints a closed array (of what it stored before failing).
            try scratch.write("contacts.csv", csv([clientRow("c-1", name: "A"), clientRow("c-1", name: "B")]))
            let failed = try rapport(["plan", "--force", "--json", "--now", now, "--config", config])
            #expect(
                failed.status == 1 && failed.stdout == "[]\n" && failed.stderr.contains("duplicate id"), "\(failed)")
        }

        @Test func anUnchangedPlanIsSkippedAndEveryInputIsNoticed() throws {
            let scratch = try Scratch("fingerprint")
            try FileManager.default.copyItem(atPath: Paths.templates, toPath: scratch.file("templates"))
            try scratch.write(
                "contacts.csv",
                csv([clientRow("c-001", name: "Ada Lovelace"), clientRow("c-002", name: "Alan Turing")]))
            let config = try scratch.write(
                "rapport.toml",
                configuration(rest: maildirTransports).replacingOccurrences(
                    of: "path = \"\(Paths.templates)\"", with: "path = \"templates\""))
            let now = "2026-12-07T10:00:00Z"
            func plan(_ at: String = now, _ extra: [String] = []) throws -> String {
                let result = try rapport(["plan", "--now", at, "--config", config] + extra)
                try #require(result.status == 0, "\(result)")
                return result.stdout
            }
            #expect(try plan().contains("did add 2"))
            #expect(try plan().contains(Self.unchanged), "a second identical plan should do nothing")
            #expect(try plan(now, ["--force"]).contains("did add 0"))

            // The data changes: planned again.
            try scratch.write(
                "contacts.csv",
                csv([clientRow("c-001", name: "Ada Lovelace"), clientRow("c-002", name: "Alan Turing", tier: "silver")])
            )
            #expect(!(try plan().contains(Self.unchanged)))
            #expect(try plan().contains(Self.unchanged))

            // An operator action in the outbox: planned again.
            let touch = try rapport(["touch", "c-001", "--at", "2026-11-30T12:00:00Z", "--config", config])
            try #require(touch.status == 0, "\(touch)")
            #expect(!(try plan().contains(Self.unchanged)))

            // A template edit: planned again (open messages are re-rendered).
            let template = scratch.file("templates/client-checkin.text.mustache")
            let text = try String(contentsOfFile: template, encoding: .utf8)
            try (text + "\nP.S. We moved offices.\n").write(toFile: template, atomically: true, encoding: .utf8)
            // (Only re-rendered: no line to list, but no "nothing changed" either.)
            #expect(!(try plan().contains(Self.unchanged)))
            #expect(try plan().contains(Self.unchanged))

            // The clock moves into another 15-minute period: planned again.
            #expect(!(try plan("2026-12-07T10:20:00Z").contains(Self.unchanged)))

            // run --once on unchanged inputs plans nothing, and says so in its counts.
            let once = try rapport(["run", "--once", "--now", "2026-12-07T10:20:00Z", "--config", config])
            #expect(once.stdout.hasPrefix("planned 0 new, 0 re-timed, 0 cancelled, 0 refreshed"), "\(once.stdout)")
        }
    }
}
