import Foundation
import Testing

extension RapportCLITests {
    /// `rapport backup`, `rapport export` and `rapport import-history`.
    @Suite struct Archive {
        /// A store with sent and scheduled messages, a touchpoint, an operator action and a
        /// suppression.
        static func populated(_ scratch: Scratch) throws -> String {
            try scratch.write(
                "contacts.csv",
                csv([
                    clientRow("c-001", name: "Ada Lovelace"),
                    "c-002,Zoë Ångström,zoe@example.com,client,UTC,gold,Mary Somerville,mary@northwind.example,false,2026-01-05T10:00:00Z,",
                    customerRow("c-101", name: "Alan Turing"),
                ]))
            let config = try scratch.write(
                "rapport.toml", configuration(rest: maildirTransports + "\n[rules.progress]\nenabled = false\n"))
            let run = try rapport(["run", "--once", "--now", "2026-12-07T10:00:00Z", "--config", config])
            try #require(run.status == 0, "\(run)")
            try #require(
                try rapport(["touch", "c-001", "--note", "lunch", "--at", "2026-11-30T12:00:00Z", "--config", config])
                    .status == 0)
            try #require(
                try rapport(["suppressions", "add", "gone@example.com", "--reason", "left", "--config", config])
                    .status == 0)
            return config
        }

        static func config(_ scratch: Scratch, store: String) throws -> String {
            try scratch.write(
                "other.toml",
                configuration(rest: maildirTransports).replacingOccurrences(
                    of: "path = \"state/rapport.sqlite\"", with: "path = \"\(store)\""))
        }

        @Test func exportThenImportIntoANewStoreKeepsEverything() throws {
            let scratch = try Scratch("archive")
            let config = try Self.populated(scratch)
            let export = try rapport(["export", "--output", scratch.file("export.jsonl"), "--config", config])
            #expect(export.status == 0, "\(export)")
            #expect(export.stderr.contains("exported "), "\(export.stderr)")
            let mode = try FileManager.default.attributesOfItem(atPath: scratch.file("export.jsonl"))[.posixPermissions]
            #expect((mode as? NSNumber)?.intValue == 0o600)
            let original = scratch.read("export.jsonl")
            #expect(original.contains("\"table\":\"touchpoint\"") && original.contains("lunch"))
            #expect(original.contains("\"table\":\"suppression\""))
            #expect(original.contains("Zoë Ångström"))

            let other = try Self.config(scratch, store: "copy/rapport.sqlite")
            let imported = try rapport(["import-history", scratch.file("export.jsonl"), "--config", other])
            #expect(imported.status == 0, "\(imported)")
            #expect(imported.stdout.hasPrefix("imported "), "\(imported.stdout)")
            // Exported again, the copy says exactly the same, line for line.
            let again = try rapport(["export", "--config", other])
            #expect(again.status == 0)
            #expect(again.stdout == original)
            #expect(try queue(config: other).map(\.id) == queue(config: config).map(\.id))

            // A second import would overwrite: refused, nothing changes.
            let twice = try rapport(["import-history", scratch.file("export.jsonl"), "--config", other])
            #expect(twice.status == 1)
            #expect(twice.stderr.contains("already holds"), "\(twice.stderr)")
            #expect(try rapport(["export", "--config", other]).stdout == original)
        }

        @Test func aBadLineNamesItsPlaceAndImportsNothing() throws {
            let scratch = try Scratch("archive-bad")
            let config = try Self.populated(scratch)
            let lines = try rapport(["export", "--config", config]).stdout.split(separator: "\n").map(String.init)
            try #require(lines.count > 3)
            var broken = lines
            broken[2] = broken[2].replacingOccurrences(of: "\"row\":{", with: "\"row\":{\"colour\":\"red\",")
            let path = try scratch.write("broken.jsonl", broken.joined(separator: "\n") + "\n")
            let other = try Self.config(scratch, store: "copy/rapport.sqlite")
            let result = try rapport(["import-history", path, "--config", other])
            #expect(result.status == 1)
            #expect(result.stderr.contains("broken.jsonl:3: "), "\(result.stderr)")
            #expect(result.stderr.contains("no column 'colour'"), "\(result.stderr)")
            #expect(try queue(config: other).isEmpty, "a failed import stored something")

            let garbage = try scratch.write("garbage.jsonl", lines[0] + "\nnot json\n")
            let second = try rapport(["import-history", garbage, "--config", other])
            #expect(second.stderr.contains("garbage.jsonl:2: not a JSON object"), "\(second.stderr)")
        }

        @Test func backupIsAnExactCopyAndNeverOverwrites() throws {
            let scratch = try Scratch("backup")
            let config = try Self.populated(scratch)
            let target = scratch.file("backup.sqlite")
            let backup = try rapport(["backup", target, "--config", config])
            #expect(backup.status == 0, "\(backup)")
            let mode = try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions]
            #expect((mode as? NSNumber)?.intValue == 0o600)
            let copy = try Self.config(scratch, store: target)
            #expect(
                try rapport(["export", "--config", copy]).stdout == rapport(["export", "--config", config]).stdout)
            let again = try rapport(["backup", target, "--config", config])
            #expect(again.status == 1)
            #expect(again.stderr.contains("the file exists"), "\(again.stderr)")
        }
    }
}
