import Foundation
import Testing

extension RapportCLITests {
    /// A plan whose inputs did not change is not made again; any input that changes is noticed.
    @Suite struct PlanFingerprint {
        static let unchanged = "nothing changed since the last plan"

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
            let refreshed = try rapport(["plan", "--now", now, "--config", config, "--json"])
            #expect(refreshed.stdout != "[]\n", "\(refreshed)")
            #expect(try plan().contains(Self.unchanged))

            // The clock moves into another 15-minute period: planned again.
            #expect(!(try plan("2026-12-07T10:20:00Z").contains(Self.unchanged)))

            // run --once on unchanged inputs plans nothing, and says so in its counts.
            let once = try rapport(["run", "--once", "--now", "2026-12-07T10:20:00Z", "--config", config])
            #expect(once.stdout.hasPrefix("planned 0 new, 0 re-timed, 0 cancelled, 0 refreshed"), "\(once.stdout)")
        }
    }
}
