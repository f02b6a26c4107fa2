import Foundation
import Testing

/// The root of every CLI suite: `.serialized` applies to all nested suites, so the tests that
/// measure time (daemon, crash) never compete with each other for the CPU.
@Suite(.serialized) struct RapportCLITests {}

extension RapportCLITests {
    /// `rapport check`: one line per problem, naming the file and line or key; exit 1.
    @Suite struct CheckCommand {
        let scratch: Scratch

        init() throws { scratch = try Scratch("check") }

        func write(config rest: String = maildirTransports, contacts: String? = nil) throws -> String {
            try scratch.write(
                "contacts.csv",
                contacts ?? csv([clientRow("c-001", name: "Ada Lovelace"), customerRow("c-101", name: "Alan Turing")]))
            return try scratch.write("rapport.toml", configuration(rest: rest))
        }

        /// Exit 1, nothing on stdout, and exactly one `error:` line on stderr containing every `needle`.
        func expectOneError(
            _ result: CommandResult, containing needles: [String], sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect(result.status == 1, "\(result)", sourceLocation: sourceLocation)
            #expect(!result.stdout.contains("ok:"), "\(result)", sourceLocation: sourceLocation)
            #expect(
                result.errorLines.count == 1, "expected exactly one error line: \(result)",
                sourceLocation: sourceLocation)
            let line = result.errorLines.first ?? ""
            #expect(line.hasPrefix("error: "), "\(result)", sourceLocation: sourceLocation)
            for needle in needles {
                #expect(
                    line.contains(needle), "the error line should contain \(String(reflecting: needle)): \(result)",
                    sourceLocation: sourceLocation)
            }
        }

        @Test func goodConfigurationIsOK() throws {
            let config = try write()
            let result = try rapport(["check", "--config", config])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.hasPrefix("ok:"), "\(result)")
            #expect(result.stdout.contains("2 contacts"), "\(result)")
            #expect(result.errorLines.isEmpty, "\(result)")
        }

        @Test func malformedCSVRowNamesFileAndLine() throws {
            let contacts = csv([clientRow("c-001", name: "Ada Lovelace"), "c-002,Bob Short"])
            let config = try write(contacts: contacts)
            expectOneError(try rapport(["check", "--config", config]), containing: ["contacts.csv:3:"])
        }

        @Test func unknownTimeZoneInDataNamesLineAndField() throws {
            let contacts = csv([clientRow("c-001", name: "Ada Lovelace", zone: "Mars/Olympus_Mons")])
            let config = try write(contacts: contacts)
            expectOneError(
                try rapport(["check", "--config", config]),
                containing: ["contacts.csv:2:", "timezone", "Mars/Olympus_Mons"])
        }

        @Test func unknownDefaultTimeZoneInConfigurationNamesKey() throws {
            _ = try write()
            let text = configuration(rest: maildirTransports).replacingOccurrences(
                of: "path = \"contacts.csv\"", with: "path = \"contacts.csv\"\ndefault_timezone = \"Mars/Olympus_Mons\""
            )
            let config = try scratch.write("rapport.toml", text)
            expectOneError(
                try rapport(["check", "--config", config]),
                containing: ["rapport.toml", "data.default_timezone", "Mars/Olympus_Mons"])
        }

        @Test func unknownTemplateIsNamed() throws {
            let config = try write(
                config: maildirTransports + """

                    [rules.checkin]
                    template = "nope"
                    """)
            expectOneError(try rapport(["check", "--config", config]), containing: ["nope"])
        }

        @Test func missingSecretFileNamesKey() throws {
            let config = try write(
                config: """
                    [email]
                    transport = "maildir"
                    maildir = "mail"

                    [webhook]
                    transport = "http"
                    url = "http://127.0.0.1:9/ok"
                    secret_file = "missing"
                    """)
            expectOneError(
                try rapport(["check", "--config", config]), containing: ["rapport.toml", "secret_file", "missing"])
        }
    }
}
