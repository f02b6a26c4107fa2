import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension RapportCLITests {
    /// The `[http]` listener: `/metrics` scraped and parsed, `/healthz`, `/readyz`.
    @Suite struct Metrics {
        @Test func metricsHealthAndReadiness() throws {
            let scratch = try Scratch("metrics")
            let port = try freeLoopbackPort()
            try scratch.write(
                "contacts.csv",
                csv([clientRow("c-001", name: "Ada Lovelace"), clientRow("c-002", name: "Charles Babbage")]))
            let config = try scratch.write(
                "rapport.toml",
                configuration(
                    rest: maildirTransports + """

                        [daemon]
                        tick_seconds = 1

                        [http]
                        listen = "127.0.0.1:\(port)"
                        """))
            let daemon = try startRapport(["run", "--config", config, "--now", "2026-12-07T10:00:59Z"])
            defer { daemon.stop() }

            let sent = waitUntil(timeout: .seconds(15)) {
                scratch.files(in: "mail", ext: "eml").count >= 2 || !daemon.isRunning
            }
            try #require(daemon.isRunning, "the daemon exited: \(daemon.stderr)")
            try #require(sent, "no mail within 15 s; stderr: \(daemon.stderr)")

            let health = try httpGet(port: port, path: "/healthz")
            #expect(health.status == 200, "\(health)")

            // The gauges are refreshed at the end of each tick: wait for one that saw the sends.
            var samples = try PrometheusSamples("")
            var answer = HTTPAnswer(status: 0, headers: [:], body: "")
            let counted = try waitUntil(timeout: .seconds(5), interval: .milliseconds(200)) {
                answer = try httpGet(port: port, path: "/metrics")
                samples = try PrometheusSamples(answer.body)
                return samples.value("rapport_messages", ["state": "sent", "kind": "client", "channel": "email"]) == 2
            }
            #expect(counted, "rapport_messages{state=sent} never reached 2:\n\(answer.body)")
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"]?.hasPrefix("text/plain") == true, "\(answer.headers)")
            #expect(samples.value("rapport_sends_total", ["transport": "maildir"]) == 2, "\(answer.body)")
            #expect(samples.value("rapport_send_failures_total") ?? 0 == 0)
            #expect(samples.value("rapport_send_duration_seconds_count", ["transport": "maildir"]) == 2)
            #expect((samples.value("rapport_ticks_total") ?? 0) >= 1)
            #expect((samples.value("rapport_tick_duration_seconds_count") ?? 0) >= 1)
            #expect(samples.value("rapport_data_reload_errors_total") == 0)
            let lastTick = samples.value("rapport_last_successful_tick_timestamp_seconds") ?? 0
            #expect(abs(lastTick - Date().timeIntervalSince1970) < 30, "last successful tick at \(lastTick)")

            // A broken data file counts as a data reload error.
            try scratch.write("contacts.csv", "id,name\nbroken\n")
            let rejected = try waitUntil(timeout: .seconds(5), interval: .milliseconds(200)) {
                let body = try httpGet(port: port, path: "/metrics").body
                return try PrometheusSamples(body).value("rapport_data_reload_errors_total") == 1
            }
            #expect(rejected, "rapport_data_reload_errors_total did not count the broken file")

            // Ready while the store answers and ticks succeed.
            let ready = try waitUntil(timeout: .seconds(5), interval: .milliseconds(100)) {
                try httpGet(port: port, path: "/readyz").status == 200
            }
            #expect(ready, "/readyz never said 200")

            // The store moved away under the daemon: not ready.
            try FileManager.default.moveItem(atPath: scratch.file("state"), toPath: scratch.file("state-moved"))
            var notReady = HTTPAnswer(status: 0, headers: [:], body: "")
            let unready = try waitUntil(timeout: .seconds(5), interval: .milliseconds(100)) {
                notReady = try httpGet(port: port, path: "/readyz")
                return notReady.status == 503
            }
            #expect(unready, "/readyz still \(notReady.status) with the store gone")
            #expect(notReady.body.contains("store"), "\(notReady.body)")
            #expect(try httpGet(port: port, path: "/healthz").status == 200)
            #expect(try httpGet(port: port, path: "/nowhere").status == 404)

            daemon.send(SIGTERM)
            #expect(daemon.wait(timeout: .seconds(10)))
        }

        @Test func listenerThatCannotBindFailsTheStart() throws {
            let scratch = try Scratch("metrics-taken")
            let taken = try SilentListener()
            defer { taken.close() }
            try scratch.write("contacts.csv", csv([clientRow("c-001", name: "Ada Lovelace")]))
            let config = try scratch.write(
                "rapport.toml",
                configuration(rest: maildirTransports + "\n[http]\nlisten = \"127.0.0.1:\(taken.port)\"\n"))
            let result = try rapport(["run", "--config", config], timeout: .seconds(20))
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("http.listen"), "\(result)")
        }
    }
}
