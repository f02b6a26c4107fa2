import Foundation
import Testing

extension RapportCLITests {
    /// A plan after a few records changed plans only their contacts, and stores exactly what
    /// a full plan of the same file would.
    @Suite struct IncrementalPlan {
        static let now = "2026-12-07T10:00:00Z"

        static let config = configuration(
            rest: maildirTransports + """

                [[campaigns]]
                name = "winter-sale"
                starts = 2026-12-03
                ends = 2026-12-24
                tags = ["newsletter"]
                require_approval = false
                max_per_hour = 3
                """)

        static let before: [String] =
            (1...12).map { clientRow(String(format: "a-%02d", $0), name: "Client Number\($0)") }
            + (1...30).map { customerRow(String(format: "b-%02d", $0), name: "Customer Number\($0)") }

        /// Renamed, re-zoned, removed, tagged out of and into the campaign, turned into a
        /// client, and new contacts (two of them between existing ids).
        static let after: [String] = {
            var rows = before
            rows[0] = clientRow("a-01", name: "Client Renamed")
            rows[1] = clientRow("a-02", name: "Client Number2", zone: "Pacific/Auckland")
            rows.remove(at: 2)  // a-03
            rows[14] = customerRow("b-04", name: "Customer Number4", tag: "garden")
            rows[20] = customerRow("b-10", name: "Customer Number10", zone: "Asia/Tokyo")
            rows[25] = clientRow("b-15", name: "Customer Number15")
            rows.remove(at: 30)  // b-20
            rows += ["b-05a", "b-12a", "c-01", "c-02"].map { customerRow($0, name: "New Person \($0)") }
            return rows
        }()

        /// Plans `before`, records a touchpoint, then plans `after`: changes only, or with `--force`.
        func outbox(changesOnly: Bool) throws -> (output: String, messages: [String]) {
            let scratch = try Scratch(changesOnly ? "incremental" : "incremental-full")
            try scratch.write("contacts.csv", csv(Self.before))
            let config = try scratch.write("rapport.toml", Self.config)
            let first = try rapport(["plan", "--now", Self.now, "--config", config])
            try #require(first.status == 0, "\(first)")
            #expect(!first.stdout.contains("planned only"), "the first plan has nothing to compare with")
            let touch = try rapport(["touch", "a-05", "--at", "2026-12-01T12:00:00Z", "--config", config])
            try #require(touch.status == 0, "\(touch)")

            try scratch.write("contacts.csv", csv(Self.after))
            let second = try rapport(
                ["plan", "--now", Self.now, "--config", config] + (changesOnly ? [] : ["--force"]))
            try #require(second.status == 0, "\(second)")
            return (second.stdout, try messageRows(config))
        }

        /// The `message` rows of `rapport export`, each as sorted-key JSON, sorted.
        func messageRows(_ config: String) throws -> [String] {
            let export = try rapport(["export", "--config", config])
            try #require(export.status == 0, "\(export)")
            return try export.stdout.split(separator: "\n").compactMap { line -> String? in
                let object = try jsonObject(String(line), what: "an export line")
                guard object["table"] as? String == "message" else { return nil }
                let data = try JSONSerialization.data(withJSONObject: object["row"] ?? [:], options: [.sortedKeys])
                return String(decoding: data, as: UTF8.self)
            }.sorted()
        }

        @Test func aPlanOfTheChangesStoresWhatAFullPlanWould() throws {
            let incremental = try outbox(changesOnly: true)
            let full = try outbox(changesOnly: false)
            // 3 edited, 2 removed, 4 new, 3 tagged or turned client, and the one touched.
            #expect(
                incremental.output.contains("planned only the 12 contacts that changed"), "\(incremental.output)")
            #expect(!full.output.contains("planned only"))
            #expect(incremental.messages.count == full.messages.count)
            let onlyIncremental = Set(incremental.messages).subtracting(full.messages)
            let onlyFull = Set(full.messages).subtracting(incremental.messages)
            #expect(
                onlyIncremental.isEmpty && onlyFull.isEmpty, "\(onlyIncremental.first ?? "")\n\(onlyFull.first ?? "")")
            // The plan did change things, so the comparison compares something.
            #expect(incremental.output.contains("cancel") && !incremental.output.contains("cancel 0"))
        }

        /// A plan after a touchpoint alone keeps the stored record index (nothing in the file
        /// changed), and the next edit is still compared record by record against it.
        @Test func aTouchAloneKeepsTheStoredIndex() throws {
            let scratch = try Scratch("incremental-touch")
            try scratch.write("contacts.csv", csv(Self.before))
            let config = try scratch.write("rapport.toml", Self.config)
            func plan() throws -> String {
                let result = try rapport(["plan", "--now", Self.now, "--config", config])
                try #require(result.status == 0, "\(result)")
                return result.stdout
            }
            _ = try plan()
            let touch = try rapport(["touch", "a-02", "--at", "2026-12-01T12:00:00Z", "--config", config])
            try #require(touch.status == 0, "\(touch)")
            #expect(try plan().contains("planned only the 1 contact that changed"))

            var rows = Self.before
            rows[20] = customerRow("b-09", name: "Customer Renamed")
            try scratch.write("contacts.csv", csv(rows))
            #expect(try plan().contains("planned only the 1 contact that changed"))
        }

        /// The record index is a file beside the store, readable by its owner only; when it is
        /// damaged or gone, the next plan is a full one, and stores what it would anyway.
        @Test(arguments: ["damaged", "gone"]) func aDamagedOrMissingIndexMeansAFullPlan(_ how: String) throws {
            let scratch = try Scratch("incremental-index")
            try scratch.write("contacts.csv", csv(Self.before))
            let config = try scratch.write("rapport.toml", Self.config)
            try #require(try rapport(["plan", "--now", Self.now, "--config", config]).status == 0)
            let index = scratch.file("state/rapport.sqlite.plan-index")
            let attributes = try FileManager.default.attributesOfItem(atPath: index)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect((attributes[.size] as? NSNumber)?.intValue ?? 0 > 42 * 10)

            try scratch.write("contacts.csv", csv(Self.after))
            if how == "damaged" {
                var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: index)))
                bytes[bytes.count / 2] ^= 0x01
                try Data(bytes).write(to: URL(fileURLWithPath: index))
            } else {
                try FileManager.default.removeItem(atPath: index)
            }
            let second = try rapport(["plan", "--now", Self.now, "--config", config])
            try #require(second.status == 0, "\(second)")
            #expect(!second.stdout.contains("planned only"), "\(second.stdout)")
            #expect(FileManager.default.fileExists(atPath: index), "written again by the full plan")

            // The same two plans, the second forced to be full.
            let other = try Scratch("incremental-index-full")
            try other.write("contacts.csv", csv(Self.before))
            let otherConfig = try other.write("rapport.toml", Self.config)
            try #require(try rapport(["plan", "--now", Self.now, "--config", otherConfig]).status == 0)
            try other.write("contacts.csv", csv(Self.after))
            try #require(try rapport(["plan", "--now", Self.now, "--config", otherConfig, "--force"]).status == 0)
            #expect(try messageRows(config) == (try messageRows(otherConfig)))
        }

        @Test func aBadEditIsReportedByLineAndChangesNothing() throws {
            let scratch = try Scratch("incremental-bad")
            try scratch.write("contacts.csv", csv(Self.before))
            let config = try scratch.write("rapport.toml", Self.config)
            try #require(try rapport(["plan", "--now", Self.now, "--config", config]).status == 0)
            let stored = try messageRows(config)

            var rows = Self.before
            rows[4] = clientRow("a-05", name: "Client Number5", zone: "Mars/Olympus")
            rows[7] = clientRow("a-01", name: "Someone Else")
            try scratch.write("contacts.csv", csv(rows))
            let failed = try rapport(["plan", "--now", Self.now, "--config", config])
            #expect(failed.status != 0)
            #expect(failed.stderr.contains("contacts.csv:6: timezone:"), "\(failed.stderr)")
            #expect(
                failed.stderr.contains("contacts.csv:9: id: duplicate id 'a-01' (first on line 2)"), "\(failed.stderr)")
            #expect(try messageRows(config) == stored)
        }
    }
}
