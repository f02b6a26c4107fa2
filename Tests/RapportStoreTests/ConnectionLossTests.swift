import Foundation
import RapportCore
import RapportStore
import RapportTestSupport
import Synchronization
import Testing

/// PostgreSQL going away under an open store: connections killed, the server restarted or
/// down for longer than the store waits, the database turned read-only. The store rides out
/// what it can, says `unreachable` or `unwritable` for the rest, and works again afterwards on
/// the same `Outbox`, with nothing lost.
@Suite(.enabled(if: TestPostgres.isAvailable)) struct ConnectionLossTests {
    /// Every connection of the store's pool killed by the server: the next transactions
    /// notice, connect again and run.
    @Test func killedConnectionsAreReplaced() throws {
        let temporary = try TemporaryStore(.postgres)
        try Sample.insert((0..<20).map { Sample.planned("c-\($0)") }, into: temporary.store)
        // Open several pooled connections, so that more than one dead one is found.
        let store = temporary.store
        try concurrently(4) { _ in _ = try store.countsByState() }
        let killed = try terminateConnections(to: temporary.location)
        #expect(killed >= 1, "no connection of the store was open to kill")

        let claimed = try temporary.store.claimDue(now: Sample.now, limit: 20, owner: "d", leaseSeconds: 60)
        #expect(claimed.count == 20)
        try temporary.store.record(claimed.map { delivered($0.id, by: "d") })
        #expect(try temporary.store.countsByState()[.sent] == 20)
    }

    /// The server restarted while a claim is waiting for it: the claim is retried until the
    /// server is back, and returns the due messages.
    @Test func aServerRestartIsRiddenOut() throws {
        let (server, store) = try storeOnItsOwnServer(messages: 10, reconnectFor: .seconds(30))
        defer { try? server.stop() }
        #expect(try store.countsByState()[.scheduled] == 10)

        try server.stop()
        let result = Mutex<Result<[StoredMessage], StoreError>?>(nil)
        let claimer = Thread {
            let outcome = Result { () throws(StoreError) in
                try store.claimDue(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60)
            }
            result.withLock { $0 = outcome }
        }
        claimer.start()
        Thread.sleep(forTimeInterval: 1.5)
        #expect(result.withLock { $0 == nil }, "the claim finished while the server was down")
        try server.start()
        let claimed = try waitFor(result, seconds: 30).get()
        #expect(claimed.count == 10)
        try store.record(claimed.map { delivered($0.id, by: "d") })
        #expect(try store.countsByState()[.sent] == 10)
    }

    /// A server down for longer than the store waits: `unreachable`, nothing changed; the same
    /// store works once the server is back.
    @Test func aServerDownTooLongIsUnreachableThenRecovers() throws {
        let (server, store) = try storeOnItsOwnServer(messages: 5, reconnectFor: .milliseconds(500))
        defer { try? server.stop() }

        try server.stop()
        var failure: StoreError?
        do {
            _ = try store.claimDue(now: Sample.now, limit: 5, owner: "d", leaseSeconds: 60)
        } catch {
            failure = error
        }
        #expect(failure?.code == .unreachable, "\(String(describing: failure))")
        #expect(failure?.description.contains("127.0.0.1") == true, "\(String(describing: failure))")

        try server.start()
        #expect(try store.countsByState()[.scheduled] == 5, "a failed claim changed something")
        #expect(try store.claimDue(now: Sample.now, limit: 5, owner: "d", leaseSeconds: 60).count == 5)
    }

    /// The database turned read-only by its administrator: writes are `unwritable` and change
    /// nothing, reads still work, and writing works again once it is writable.
    @Test func aReadOnlyDatabaseIsUnwritableUntilMadeWritable() throws {
        let temporary = try TemporaryStore(.postgres)
        try Sample.insert((0..<5).map { Sample.planned("c-\($0)") }, into: temporary.store)
        let admin = try TestPostgres.server.get()
        let name = String(temporary.location.split(separator: "/").last!)

        _ = try TestPostgres.query(admin, "ALTER DATABASE \(name) SET default_transaction_read_only = on")
        // The setting applies to new sessions: end the store's current ones.
        _ = try terminateConnections(to: temporary.location)
        var failure: StoreError?
        do {
            _ = try temporary.store.claimDue(now: Sample.now, limit: 5, owner: "d", leaseSeconds: 60)
        } catch {
            failure = error
        }
        #expect(failure?.code == .unwritable, "\(String(describing: failure))")
        #expect(failure?.detail.contains("read-only") == true, "\(String(describing: failure))")
        #expect(try temporary.store.countsByState()[.scheduled] == 5)

        _ = try TestPostgres.query(admin, "ALTER DATABASE \(name) RESET default_transaction_read_only")
        // No connection is killed this time: the store must not keep the read-only sessions.
        #expect(try temporary.store.claimDue(now: Sample.now, limit: 5, owner: "d", leaseSeconds: 60).count == 5)
    }

    /// The database's disk full (a tablespace on a small `tmpfs`, filled to the last byte):
    /// writes are `unwritable` and change nothing, reads still work, and writing works again
    /// once there is room.
    @Test(.enabled(if: SmallFilesystem.canMount)) func aFullDiskIsUnwritableUntilThereIsRoom() throws {
        let disk = try SmallFilesystem(megabytes: 32)
        defer { disk.unmount() }
        let admin = try TestPostgres.server.get()
        let space = "rapport_small_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8).lowercased()
        _ = try TestPostgres.query(
            admin, "CREATE TABLESPACE \(space) LOCATION '\(try disk.folder("tablespace", ownedBy: "postgres"))'")
        defer { _ = try? TestPostgres.query(admin, "DROP TABLESPACE IF EXISTS \(space)") }
        let url = try TestPostgres.createDatabase(on: admin, tablespace: space)
        defer { TestPostgres.dropDatabase(url) }
        let store = try Outbox(postgresURL: url, reconnectFor: .seconds(2))
        try Sample.insert((0..<10).map { Sample.planned("c-\($0)") }, into: store)

        let filler = try disk.fill()
        var failure: StoreError?
        do {
            try Sample.insert((10..<3_000).map { Sample.planned("c-\($0)") }, into: store)
        } catch let error as StoreError {
            failure = error
        }
        #expect(failure?.code == .unwritable, "\(String(describing: failure))")
        #expect(failure?.detail.contains("disk is full") == true, "\(String(describing: failure))")
        #expect(try store.countsByState()[.scheduled] == 10, "a failed write changed something")

        try FileManager.default.removeItem(atPath: filler)
        try Sample.insert((10..<3_000).map { Sample.planned("c-\($0)") }, into: store)
        #expect(try store.countsByState()[.scheduled] == 3_000)
    }

    // MARK: - Helpers

    /// A store on a server of its own (which the test may stop), with `messages` due.
    private func storeOnItsOwnServer(messages: Int, reconnectFor: Duration) throws -> (PostgresServer, Outbox) {
        let server = try PostgresServer.launch()
        let store = try Outbox(
            postgresURL: try TestPostgres.createDatabase(on: server.adminURL), reconnectFor: reconnectFor)
        try Sample.insert((0..<messages).map { Sample.planned("c-\($0)") }, into: store)
        return (server, store)
    }

    private func delivered(_ id: String, by owner: String) -> RecordedOutcome {
        RecordedOutcome(
            .delivered(detail: "ok"), for: id, owner: owner, transport: "test", startedAt: Sample.now, latency: .zero,
            at: Sample.now)
    }

    /// Ends every connection to the database `url` names, from the admin connection; how many.
    private func terminateConnections(to url: String) throws -> Int {
        let name = url.split(separator: "/").last!
        let rows = try TestPostgres.query(
            try TestPostgres.server.get(),
            """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = '\(name)' AND pid <> pg_backend_pid()
            """)
        return Int(rows.first ?? "") ?? 0
    }

    /// Runs `body` on `count` threads at once and waits for them all (bounded: 60 s).
    private func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
        let group = DispatchGroup()
        let errors = Mutex<[String]>([])
        for index in 0..<count {
            group.enter()
            Thread {
                do { try body(index) } catch { errors.withLock { $0.append("\(error)") } }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(errors.withLock { $0 }.isEmpty, "\(errors.withLock { $0 })")
    }

    /// Waits (bounded) until a thread has put its result in `box`.
    private func waitFor<T>(_ box: borrowing Mutex<T?>, seconds: Double) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let value = box.withLock({ $0 }) { return value }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TimedOut(seconds: seconds)
    }

    private struct TimedOut: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no result within \(seconds) s" }
    }
}
