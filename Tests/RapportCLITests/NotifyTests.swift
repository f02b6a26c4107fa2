import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension RapportCLITests {
    /// `rapport run` under a stand-in for systemd: READY, STATUS, WATCHDOG at the configured
    /// rate, RELOADING/READY around SIGHUP (also a broken one), STOPPING and exit 0 on SIGTERM.
    @Suite struct Notify {
        static let allDay = """
            days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            hours = "00:00-23:59"
            """

        /// A check-in due at once and a promotion waiting for approval, both by maildir.
        static func config(extra: String = "") -> String {
            configuration(
                rest: maildirTransports + """

                    [daemon]
                    tick_seconds = 1
                    \(extra)

                    [[campaigns]]
                    name = "winter-sale"
                    starts = 2026-12-01
                    ends = 2026-12-20
                    tags = ["newsletter"]
                    send_at = "10:00"
                    \(allDay)
                    """)
        }

        static let start = "2026-12-07T10:00:59Z"

        @Test func readyWatchdogReloadAndStop() throws {
            let scratch = try Scratch("notify")
            try scratch.write(
                "contacts.csv",
                csv([clientRow("c-001", name: "Ada Lovelace"), customerRow("c-101", name: "Alan Turing")]))
            let config = try scratch.write("rapport.toml", Self.config())
            let systemd = try NotifyListener(directory: scratch.path)
            defer { systemd.stop() }
            let daemon = try startRapport(
                ["run", "--config", config, "--now", Self.start],
                environment: ["NOTIFY_SOCKET": systemd.socketName, "WATCHDOG_USEC": "400000"])
            defer { daemon.stop() }

            try #require(
                systemd.waitFor("READY", timeout: .seconds(15)), "no READY=1; stderr: \(daemon.stderr)")
            #expect(systemd.with("STOPPING").isEmpty)

            // The check-in goes out; STATUS= reports the tick.
            let sent = waitUntil(timeout: .seconds(10)) { scratch.files(in: "mail", ext: "eml").count >= 1 }
            try #require(sent, "no mail; stderr: \(daemon.stderr)")
            try #require(systemd.waitFor("STATUS", timeout: .seconds(5)), "no STATUS=")
            let status = systemd.with("STATUS").last?.fields["STATUS"] ?? ""
            #expect(status.contains("last tick"), "STATUS=\(status)")
            #expect(status.contains("due"), "STATUS=\(status)")

            // WATCHDOG=1 every 200 ms (half of 400 ms): about ten in two seconds.
            let before = systemd.with("WATCHDOG").count
            usleep(2_000_000)
            let pings = systemd.with("WATCHDOG")
            let inWindow = pings.count - before
            #expect((7...14).contains(inWindow), "\(inWindow) watchdog pings in 2 s; expected about 10")
            let gaps = zip(pings.dropFirst(), pings).map { $0.at - $1.at }
            #expect(gaps.allSatisfy { $0 < .milliseconds(400) }, "a gap between pings reached the timeout: \(gaps)")

            // SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 again.
            daemon.send(SIGHUP)
            try #require(systemd.waitFor("RELOADING", timeout: .seconds(5)), "no RELOADING=1; \(daemon.stderr)")
            let reloading = systemd.with("RELOADING")[0].fields
            #expect(UInt64(reloading["MONOTONIC_USEC"] ?? "") != nil, "MONOTONIC_USEC missing: \(reloading)")
            #expect(systemd.waitFor("READY", count: 2, timeout: .seconds(5)), "no READY=1 after the reload")
            let order = systemd.datagrams.map(\.fields)
            let reloadIndex = order.firstIndex { $0["RELOADING"] != nil } ?? -1
            let secondReady = order.indices.filter { order[$0]["READY"] != nil }.dropFirst().first ?? -1
            #expect(reloadIndex < secondReady, "READY=1 must follow RELOADING=1: \(order)")

            // A broken configuration: rejected, READY=1 again, the daemon keeps running and sending.
            try scratch.write("rapport.toml", Self.config(extra: "no_such_key = 1"))
            daemon.send(SIGHUP)
            #expect(systemd.waitFor("RELOADING", count: 2, timeout: .seconds(5)))
            #expect(systemd.waitFor("READY", count: 3, timeout: .seconds(5)))
            #expect(waitUntil(timeout: .seconds(5)) { daemon.stderr.contains("reload rejected") }, "\(daemon.stderr)")
            #expect(daemon.isRunning, "the daemon died after a rejected reload: \(daemon.stderr)")
            // The operator fixes the file (without a reload) to use the CLI; the daemon still runs
            // what it had before the broken reload.
            try scratch.write("rapport.toml", Self.config())
            let promotion = try #require(
                try queue(config: config).first { $0.state == "pending_approval" }, "no promotion awaiting approval")
            let approved = try rapport(["approve", promotion.id, "--config", config])
            #expect(approved.status == 0, "\(approved)")
            let sentAfter = waitUntil(timeout: .seconds(10)) { scratch.files(in: "mail", ext: "eml").count >= 2 }
            #expect(sentAfter, "nothing sent after the rejected reload; stderr: \(daemon.stderr)")

            // SIGTERM: STOPPING=1 and exit 0.
            daemon.send(SIGTERM)
            let exited = daemon.wait(timeout: .seconds(10))
            #expect(exited, "still running 10 s after SIGTERM; stderr: \(daemon.stderr)")
            #expect(daemon.exitStatus == 0, "stderr: \(daemon.stderr)")
            #expect(systemd.waitFor("STOPPING", timeout: .seconds(2)), "no STOPPING=1")
        }

        @Test func abstractSocket() throws {
            let scratch = try Scratch("notify-abstract")
            try scratch.write("contacts.csv", csv([clientRow("c-001", name: "Ada Lovelace")]))
            let config = try scratch.write("rapport.toml", Self.config())
            let systemd = try NotifyListener(directory: scratch.path, abstract: true)
            defer { systemd.stop() }
            #expect(systemd.socketName.hasPrefix("@"))
            let daemon = try startRapport(
                ["run", "--config", config, "--now", Self.start], environment: ["NOTIFY_SOCKET": systemd.socketName])
            defer { daemon.stop() }
            try #require(systemd.waitFor("READY", timeout: .seconds(15)), "no READY=1; stderr: \(daemon.stderr)")
            // No watchdog was asked for: no pings.
            usleep(600_000)
            #expect(systemd.with("WATCHDOG").isEmpty)
            daemon.send(SIGTERM)
            #expect(daemon.wait(timeout: .seconds(10)), "still running after SIGTERM")
            #expect(daemon.exitStatus == 0, "stderr: \(daemon.stderr)")
            #expect(systemd.waitFor("STOPPING", timeout: .seconds(2)), "no STOPPING=1")
        }

        /// A send that hangs (a webhook receiver that never answers) stops the watchdog pings;
        /// they resume once the send times out and the tick ends.
        @Test func hungTickStopsWatchdogPings() throws {
            let scratch = try Scratch("notify-hung")
            let silent = try SilentListener()
            defer { silent.close() }
            try scratch.write("contacts.csv", csv([customerRow("c-101", name: "Alan Turing")]))
            let config = try scratch.write(
                "rapport.toml",
                configuration(
                    rest: """
                        [webhook]
                        transport = "http"
                        url = "http://127.0.0.1:\(silent.port)/hook"
                        secret_env = "RAPPORT_TEST_SECRET"
                        timeout_seconds = 3

                        [daemon]
                        tick_seconds = 1

                        [[campaigns]]
                        name = "winter-sale"
                        starts = 2026-12-01
                        ends = 2026-12-20
                        tags = ["newsletter"]
                        channel = "webhook"
                        require_approval = false
                        send_at = "10:00"
                        \(Self.allDay)
                        """))
            let systemd = try NotifyListener(directory: scratch.path)
            defer { systemd.stop() }
            let daemon = try startRapport(
                ["run", "--config", config, "--now", Self.start],
                environment: [
                    "NOTIFY_SOCKET": systemd.socketName, "WATCHDOG_USEC": "400000",
                    "RAPPORT_TEST_SECRET": makeWebhookSecret(),
                ])
            defer { daemon.stop() }
            try #require(systemd.waitFor("READY", timeout: .seconds(15)), "no READY=1; stderr: \(daemon.stderr)")
            // The webhook is due at 10:01:00, about a second after start; the send then hangs 3 s.
            let withheld = waitUntil(timeout: .seconds(10)) {
                daemon.stderr.contains("withholding watchdog pings")
            }
            #expect(withheld, "pings were not withheld during a hung send; stderr: \(daemon.stderr)")
            // The send hangs for 3 s; a second into the silence, no ping has come for longer than
            // the 400 ms timeout.
            usleep(1_000_000)
            let pings = systemd.with("WATCHDOG")
            let longest = zip(pings.dropFirst(), pings).map { $0.at - $1.at }.max() ?? .zero
            let sinceLast = pings.last.map { ContinuousClock.now - $0.at } ?? .zero
            #expect(
                max(longest, sinceLast) > .milliseconds(800),
                "pings kept coming during the hung send (longest gap \(longest))")
            // After the timeout the tick ends and the pings resume.
            let resumed = waitUntil(timeout: .seconds(10)) { daemon.stderr.contains("watchdog pings resume") }
            #expect(resumed, "pings did not resume; stderr: \(daemon.stderr)")
            daemon.send(SIGTERM)
            #expect(daemon.wait(timeout: .seconds(10)))
        }
    }
}

/// A TCP listener on 127.0.0.1 that accepts nothing and answers nothing: connections complete
/// in the kernel's backlog and then hang, like a stuck receiver.
final class SilentListener {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket(): errno \(errno)") }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            Glibc.close(descriptor)
            throw Failure("bind/listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
