import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension RapportCLITests {
    /// `rapport run` as a daemon: the store lock, SIGHUP with a broken file, SIGTERM.
    @Suite struct Daemon {
        static func config(extra: String = "") -> String {
            configuration(
                rest: maildirTransports + """

                    [daemon]
                    tick_seconds = 1
                    \(extra)
                    """)
        }

        @Test func lockReloadAndTerminate() throws {
            let scratch = try Scratch("daemon")
            try scratch.write(
                "contacts.csv",
                csv([clientRow("c-001", name: "Ada Lovelace"), clientRow("c-002", name: "Charles Babbage")]))
            let config = try scratch.write("rapport.toml", Self.config())
            // Planned at 10:00:59 the check-ins fall on 10:01:00, due on the next tick.
            let daemon = try startRapport(["run", "--config", config, "--now", "2026-12-07T10:00:59Z"])
            defer { daemon.stop() }

            let delivered = waitUntil(timeout: .seconds(10)) {
                scratch.files(in: "mail", ext: "eml").count >= 2 || !daemon.isRunning
            }
            try #require(daemon.isRunning, "the daemon exited early: \(daemon.stderr)")
            try #require(delivered, "no mail within 10 s; stderr: \(daemon.stderr)")
            #expect(scratch.files(in: "mail", ext: "eml").count == 2)

            // A second daemon on the same store refuses to start.
            let second = try rapport(
                ["run", "--config", config, "--now", "2026-12-07T10:00:59Z"], timeout: .seconds(10))
            #expect(second.status == 1, "\(second)")
            #expect(second.stderr.contains("another rapport daemon"), "\(second)")
            #expect(daemon.isRunning)

            // SIGHUP with a broken configuration: logged, the running one stays.
            try scratch.write("rapport.toml", Self.config(extra: "no_such_key = 1"))
            daemon.send(SIGHUP)
            let rejected = waitUntil(timeout: .seconds(5)) { daemon.stderr.contains("reload rejected") }
            #expect(rejected, "no 'reload rejected' after SIGHUP; stderr: \(daemon.stderr)")
            #expect(daemon.stderr.contains("no_such_key"), "the rejection should name the key: \(daemon.stderr)")
            // Still alive a tick later.
            usleep(1_200_000)
            #expect(daemon.isRunning, "the daemon died after a rejected reload: \(daemon.stderr)")

            // SIGTERM: exit 0, promptly.
            daemon.send(SIGTERM)
            let exited = daemon.wait(timeout: .seconds(5))
            #expect(exited, "still running 5 s after SIGTERM; stderr: \(daemon.stderr)")
            if exited {
                let reason = daemon.process.terminationReason == .exit ? "exit" : "signal"
                #expect(
                    daemon.exitStatus == 0,
                    "ended by \(reason) \(daemon.process.terminationStatus); stderr: \(daemon.stderr)")
            }

            // The lock went with it: a new --once run is accepted (against the repaired file).
            try scratch.write("rapport.toml", Self.config())
            let after = try rapport(["run", "--once", "--now", "2026-12-07T10:02:00Z", "--config", config])
            #expect(after.status == 0, "\(after)")
        }
    }
}
