import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension RapportCLITests {
    /// Signals at any moment of start-up are honoured.
    @Suite struct Signals {
        /// SIGTERM sent 0–150 ms after the start: the daemon either dies of it (before its
        /// handlers exist) or exits 0; it never ignores it. (Ignoring the signal before a Dispatch
        /// signal source was registered lost it about one time in six.)
        @Test func aSigtermDuringStartUpIsNeverLost() throws {
            let scratch = try Scratch("early-term")
            try scratch.write("contacts.csv", csv([clientRow("c-001", name: "Ada Lovelace")]))
            let config = try scratch.write(
                "rapport.toml", configuration(rest: maildirTransports + "\n[daemon]\ntick_seconds = 1\n"))
            for round in 0..<20 {
                let daemon = try startRapport(["run", "--config", config, "--now", "2026-12-07T10:00:00Z"])
                defer { daemon.stop() }
                usleep(UInt32(round * 7_500))
                daemon.send(SIGTERM)
                let ended = daemon.wait(timeout: .seconds(5))
                #expect(ended, "round \(round): still running 5 s after SIGTERM; stderr: \(daemon.stderr)")
                if ended, let status = daemon.exitStatus {
                    #expect(status == 0, "round \(round): exit \(status); stderr: \(daemon.stderr)")
                }
            }
        }
    }
}
