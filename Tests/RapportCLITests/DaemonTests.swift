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

        /// An edit of the data file under a running daemon is planned on the next tick, for the
        /// edited contacts only; a broken edit is reported once and the last good data stays.
        @Test func anEditedFileIsPlannedForTheChangedContactsOnly() throws {
            let scratch = try Scratch("daemon-edit")
            let rows = (1...5).map { clientRow("c-00\($0)", name: "Client Number\($0)") }
            try scratch.write("contacts.csv", csv(rows))
            let config = try scratch.write("rapport.toml", Self.config())
            let daemon = try startRapport(["run", "--config", config, "--now", "2026-12-07T10:00:59Z"])
            defer { daemon.stop() }
            let delivered = waitUntil(timeout: .seconds(10)) { scratch.files(in: "mail", ext: "eml").count >= 5 }
            try #require(delivered, "no mail within 10 s; stderr: \(daemon.stderr)")

            // A broken row: rejected once, with its line, and nothing planned from it.
            try scratch.write(
                "contacts.csv", csv(rows + ["c-bad,Bad Row,bad@example.com,client,Mars/Olympus,gold,,,,,"]))
            let rejected = waitUntil(timeout: .seconds(10)) { daemon.stderr.contains("data file rejected") }
            try #require(rejected, "\(daemon.stderr)")
            usleep(2_500_000)
            #expect(daemon.stderr.components(separatedBy: "data file rejected").count == 2, "\(daemon.stderr)")
            #expect(daemon.stderr.contains("contacts.csv:7: timezone"), "\(daemon.stderr)")
            // Nothing is planned from a rejected file: what was planned from the good one stays.
            let afterRejection = daemon.stderr.components(separatedBy: "data file rejected").last ?? ""
            #expect(!afterRejection.contains(" planned "), "\(daemon.stderr)")

            // Fixed, with one contact renamed and one added: planned on the next tick.
            var edited = rows
            edited[1] = clientRow("c-002", name: "Client Renamed")
            try scratch.write("contacts.csv", csv(edited + [clientRow("c-006", name: "Client Number6")]))
            // Both lines of that plan: what it planned, then what it stored: the new client's
            // first check-in and the renamed client's next one, after the one sent (both
            // beyond the render window: nothing rendered).
            let planned = waitUntil(timeout: .seconds(10)) {
                let log = daemon.stderr
                return log.contains("planned the changes only contacts=2 removed=0 unchanged records=4")
                    && log.contains("planned added=2 cancelled=0 refreshed=0 rendered=0")
            }
            #expect(planned, "\(daemon.stderr)")
            #expect(daemon.stderr.components(separatedBy: "data loaded").count == 2, "loaded the file whole again")
            // The next edit compares with that plan: two contacts, not six.
            edited[3] = clientRow("c-004", name: "Client Renamed4")
            try scratch.write("contacts.csv", csv(edited + [clientRow("c-006", name: "Client Number6")]))
            let onlyChanges = waitUntil(timeout: .seconds(10)) {
                daemon.stderr.contains("planned the changes only contacts=1 ")
            }
            #expect(onlyChanges, "\(daemon.stderr)")
            #expect(daemon.isRunning)
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
