import Foundation
import Testing

extension RapportCLITests {
    /// Long work draws a progress bar on a terminal, and only there: `script` gives the command
    /// a pseudo-terminal, a pipe does not, and `--quiet` silences it on a terminal too.
    @Suite struct Progress {
        /// Runs `rapport arguments…` under `script`, so its standard error is a terminal.
        func onTerminal(_ arguments: [String]) throws -> CommandResult {
            let command = ([try Paths.rapport()] + arguments).map { "'\($0)'" }.joined(separator: " ")
            let child = try Child(
                "/usr/bin/script", ["-qec", command, "/dev/null"], environment: childEnvironment([:]))
            guard child.wait(timeout: .seconds(60)) else {
                child.stop()
                throw Failure("`\(command)` under script did not finish within 60 s")
            }
            return CommandResult(status: child.exitStatus ?? -1, stdout: child.stdout, stderr: child.stderr)
        }

        @Test func planAndBulkActionsShowProgressOnlyOnATerminal() throws {
            let scratch = try Scratch("progress")
            try scratch.write("contacts.csv", csv((0..<1_500).map { clientRow("c-\($0)", name: "Client \($0)") }))
            let config = try scratch.write("rapport.toml", configuration(rest: maildirTransports))
            let now = "2026-12-07T08:00:00Z"

            let piped = try rapport(["plan", "--dry-run", "--now", now, "--config", config], timeout: .seconds(60))
            #expect(piped.status == 0, "\(piped)")
            #expect(!piped.stderr.contains(/planning [█·]/), "no bar into a pipe: \(piped.stderr.prefix(300))")
            let quiet = try onTerminal(["plan", "--dry-run", "--quiet", "--now", now, "--config", config])
            #expect(quiet.status == 0 && !quiet.stdout.contains(/planning [█·]/), "\(quiet.stdout.suffix(300))")

            let planned = try onTerminal(["plan", "--now", now, "--config", config])
            #expect(planned.status == 0, "\(planned.stdout.suffix(500))")
            // script merges the streams: the bar is redrawn in place and ends at the total.
            #expect(planned.stdout.contains(/planning [█·]/), "\(planned.stdout.prefix(500))")
            #expect(planned.stdout.contains("1500/1500"), "\(planned.stdout.prefix(500))")

            let held = try onTerminal(["hold", "--all-matching", "--state", "scheduled", "--yes", "--config", config])
            #expect(held.status == 0, "\(held.stdout.suffix(500))")
            #expect(held.stdout.contains("1500/1500"), "bulk action bar: \(held.stdout.suffix(500))")
            #expect(held.stdout.contains("1500 held, 0 refused"), "\(held.stdout.suffix(300))")
        }
    }
}
