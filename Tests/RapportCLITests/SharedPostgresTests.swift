import Foundation
import RapportTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension RapportCLITests {
    /// Several daemons on one PostgreSQL database.
    @Suite struct SharedPostgres {
        /// The crash harness for the shared case: 1,500 webhook messages, daemon B running
        /// throughout, daemon A SIGKILLed 8 times at random moments of its dispatch (seeded)
        /// and started again, then both left to finish. Every message must reach the sink, a
        /// repeat only with an id already seen and no more repeats than A's kills × its
        /// concurrency (4); both daemons must have delivered a share; A's leases go to B when
        /// they expire.
        @Test(.enabled(if: TestPostgres.isAvailable), .timeLimit(.minutes(4)))
        func twoDaemonsShareTheWorkAndSurviveKills() throws {
            let count = 1_500
            let kills = 8
            let database = try TestPostgres.createDatabase()
            defer { TestPostgres.dropDatabase(database) }
            let harness = try WebhookCrashHarness(
                "shared-postgres", messages: count, store: "url = \"\(database)\"", leaseSeconds: 10, batchSize: 20)
            let (sink, config, environment) = (harness.sink, harness.config, harness.environment)
            defer { sink.stop() }
            let steady = try startRapport(["run", "--config", config], environment: environment)
            defer { steady.stop() }
            var generator = SeededGenerator(seed: 20_261_203)
            let host = ProcessInfo.processInfo.hostName
            let number = { (sql: String) in scalar(in: database, sql) }
            // The plan puts the messages at the next minute: wait for B's first delivery.
            let due = waitUntil(timeout: .seconds(75), interval: .milliseconds(100)) {
                number("SELECT count(*) FROM attempt") > 0
            }
            try #require(due, "nothing delivered after 75 s: \(steady.stderr.suffix(2_000))")
            var orphaned = 0
            var killsHoldingLeases = 0
            for _ in 0..<kills {
                // Kill A once it has delivered a random number of messages itself (1 to 40), or
                // after 6 s.
                let target = Int.random(in: 1...40, using: &generator)
                let daemon = try startRapport(["run", "--config", config], environment: environment)
                let owner = "\(host):\(daemon.pid)"
                waitUntil(timeout: .seconds(6), interval: .milliseconds(20)) {
                    number("SELECT count(*) FROM attempt WHERE owner = '\(owner)'") >= target || !daemon.isRunning
                }
                #expect(daemon.isRunning, "daemon A exited by itself: \(daemon.stderr.suffix(1_000))")
                daemon.send(SIGKILL)
                daemon.wait(timeout: .seconds(5))
                // What A held when it died: B takes these over when their leases expire.
                let held = number("SELECT count(*) FROM message WHERE state = 'sending' AND lease_owner = '\(owner)'")
                orphaned += held
                if held > 0 { killsHoldingLeases += 1 }
            }
            #expect(steady.isRunning, "daemon B exited: \(steady.stderr.suffix(1_000))")
            let last = try startRapport(["run", "--config", config], environment: environment)
            defer { last.stop() }
            let (finished, remaining) = try harness.waitUntilAllSent(timeout: .seconds(90))
            for daemon in [steady, last] { daemon.send(SIGTERM) }
            for daemon in [steady, last] { #expect(daemon.wait(timeout: .seconds(10))) }
            try #require(finished, "not sent after 90 s: \(remaining.prefix(5))\n\(steady.stderr.suffix(2_000))")

            let delivery = try harness.expectEveryMessageDelivered(repeatsAtMost: kills * 4, after: "\(kills) kills")
            // Who delivered what: the attempt rows carry the daemon (`host:pid`).
            let shares = try TestPostgres.query(
                database, "SELECT owner, count(*) FROM attempt WHERE outcome = 'delivered' GROUP BY owner")
            let steadyShare = shares.first { $0.hasPrefix("\(ProcessInfo.processInfo.hostName):\(steady.pid)|") }
            let steadyCount = steadyShare.flatMap { Int($0.split(separator: "|").last ?? "") } ?? 0
            #expect(steadyCount > 0 && steadyCount < count, "daemon B delivered \(steadyCount): \(shares)")
            #expect(shares.count >= 2, "only one daemon delivered: \(shares)")
            #expect(killsHoldingLeases >= kills / 4, "only \(killsHoldingLeases) of \(kills) kills left leases behind")
            print(
                "shared postgres: \(kills) kills of A (\(killsHoldingLeases) holding \(orphaned) leases), \(count) messages, "
                    + "\(delivery.lost) lost, \(delivery.duplicates) duplicates; "
                    + "B delivered \(steadyCount), the A processes \(delivery.received - steadyCount) (\(shares.count - 1) of them)"
            )
        }

        /// The database server restarted three times under a dispatching daemon: twice briefly
        /// (the store reconnects and retries the transaction in flight) and once for longer
        /// than the store waits (12 s against 10 s: a tick fails as unreachable, and the next
        /// tick after the server is back carries on). Every message reaches the sink; a repeat only with an id
        /// already seen, and no more than one per send in flight at each restart.
        @Test(.enabled(if: TestPostgres.isAvailable), .timeLimit(.minutes(4)))
        func aDaemonRidesOutServerRestarts() throws {
            let count = 300
            let server = try PostgresServer.launch()
            defer { try? server.stop() }
            let database = try TestPostgres.createDatabase(on: server.adminURL)
            let harness = try WebhookCrashHarness(
                "postgres-restarts", messages: count, store: "url = \"\(database)\"", leaseSeconds: 10,
                batchSize: 20, ratePerSecond: 25)
            defer { harness.sink.stop() }
            let daemon = try startRapport(["run", "--config", harness.config], environment: harness.environment)
            defer { daemon.stop() }
            let number = { (sql: String) in scalar(in: database, sql) }
            let outages: [Duration] = [.milliseconds(500), .seconds(3), .seconds(12)]
            var restartsMidDispatch = 0
            for (index, outage) in outages.enumerated() {
                // 300 messages at 25 a second: 12 s of sending. Restart the server after 1, 100
                // and 200 attempts.
                let target = max(1, index * 100)
                let reached = waitUntil(timeout: .seconds(75), interval: .milliseconds(20)) {
                    number("SELECT count(*) FROM attempt") >= target
                }
                let log = daemon.stderr.split(separator: "\n").filter { !$0.contains(" info sent ") }.suffix(30)
                try #require(
                    reached,
                    "fewer than \(target) attempts after \(index) restarts; the daemon's log but its sends:\n\(log.joined(separator: "\n"))"
                )
                if number("SELECT count(*) FROM message WHERE state <> 'sent'") > 0 { restartsMidDispatch += 1 }
                try server.stop()
                Thread.sleep(forTimeInterval: Double(outage / .milliseconds(1)) / 1_000)
                try server.start()
                #expect(daemon.isRunning, "the daemon exited during an outage: \(daemon.stderr.suffix(2_000))")
            }
            let (finished, remaining) = try harness.waitUntilAllSent(timeout: .seconds(90))
            daemon.send(SIGTERM)
            #expect(daemon.wait(timeout: .seconds(10)))
            try #require(finished, "not sent after 90 s: \(remaining.prefix(5))\n\(daemon.stderr.suffix(2_000))")

            let delivery = try harness.expectEveryMessageDelivered(
                repeatsAtMost: outages.count * 4, after: "\(outages.count) restarts")
            #expect(restartsMidDispatch == outages.count, "only \(restartsMidDispatch) restarts came mid-dispatch")
            // The long outage was noticed and said, and the daemon carried on by itself.
            #expect(
                daemon.stderr.contains("cannot connect to") || daemon.stderr.contains("lost the connection to"),
                "\(daemon.stderr.suffix(2_000))")
            print(
                "postgres restarts: \(outages.count) outages (\(outages)), \(count) messages, "
                    + "\(delivery.lost) lost, \(delivery.duplicates) duplicates")
        }

        /// The database made read-only under a dispatching daemon: the daemon says so in its
        /// log and stops sending, `rapport status` says why, nothing is marked sent that was
        /// not; once the database is writable again the daemon says so and finishes, nothing
        /// lost.
        @Test(.enabled(if: TestPostgres.isAvailable), .timeLimit(.minutes(3)))
        func aReadOnlyDatabasePausesTheDaemonUntilWritable() throws {
            let count = 200
            let database = try TestPostgres.createDatabase()
            defer { TestPostgres.dropDatabase(database) }
            let admin = try TestPostgres.server.get()
            let name = String(database.split(separator: "/").last!)
            let harness = try WebhookCrashHarness(
                "postgres-read-only", messages: count, store: "url = \"\(database)\"", leaseSeconds: 10,
                batchSize: 20, ratePerSecond: 20)
            defer { harness.sink.stop() }
            let daemon = try startRapport(["run", "--config", harness.config], environment: harness.environment)
            defer { daemon.stop() }
            let number = { (sql: String) in scalar(in: database, sql) }
            let sending = waitUntil(timeout: .seconds(75), interval: .milliseconds(50)) {
                number("SELECT count(*) FROM message WHERE state = 'sent'") >= 20
            }
            try #require(sending, "nothing sent: \(daemon.stderr.suffix(2_000))")

            _ = try TestPostgres.query(admin, "ALTER DATABASE \(name) SET default_transaction_read_only = on")
            _ = try TestPostgres.query(
                admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'")
            let paused = waitUntil(timeout: .seconds(20), interval: .milliseconds(100)) {
                daemon.stderr.contains("the store cannot be written")
            }
            try #require(paused, "no pause logged: \(daemon.stderr.suffix(2_000))")
            let sentAtPause = number("SELECT count(*) FROM message WHERE state = 'sent'")
            let receivedAtPause = try harness.receivedIDs().count
            Thread.sleep(forTimeInterval: 3)
            #expect(number("SELECT count(*) FROM message WHERE state = 'sent'") == sentAtPause)
            // Only sends already under way when the writes began to fail: one per worker.
            #expect(try harness.receivedIDs().count <= receivedAtPause + 4)
            let status = try rapport(["status", "--config", harness.config], environment: harness.environment)
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.contains("NOT WRITABLE: the database is read-only"), "\(status.stdout)")

            _ = try TestPostgres.query(admin, "ALTER DATABASE \(name) RESET default_transaction_read_only")
            let (finished, remaining) = try harness.waitUntilAllSent(timeout: .seconds(60))
            try #require(finished, "not sent: \(remaining.prefix(5))\n\(daemon.stderr.suffix(2_000))")
            #expect(daemon.stderr.contains("the store is writable again: dispatch resumed"))
            let received = Set(try harness.receivedIDs())
            #expect(received == harness.planned, "lost: \(harness.planned.subtracting(received).count)")
            let after = try rapport(["status", "--config", harness.config], environment: harness.environment)
            #expect(!after.stdout.contains("NOT WRITABLE"), "\(after.stdout)")
        }
    }
}

/// The first value `sql` returns from `database`, as a number (0 when there is none).
private func scalar(in database: String, _ sql: String) -> Int {
    Int((try? TestPostgres.query(database, sql))?.first ?? "") ?? 0
}
