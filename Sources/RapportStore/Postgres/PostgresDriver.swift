import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import RapportCore

/// The outbox on a PostgreSQL server, for several daemons sharing one database.
///
/// The store's callers are plain threads (the tick queue, the dispatch workers, the CLI), so
/// each call blocks its thread on postgres-nio's future; the connections run on an event loop
/// of their own, never on a thread the caller could be blocking. Up to `maxConnections`
/// transactions run at once; a lost connection is replaced and the transaction run again,
/// with backoff, for up to `reconnectFor`.
final class PostgresDriver: StoreDriver, @unchecked Sendable {
    let location: String
    var dialect: SQLDialect { .postgres }

    private let configuration: PostgresConnection.Configuration
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let reconnectFor: Duration
    /// Free connections; guarded by `lock`.
    private var idle: [PostgresConnection] = []
    private var nextID = 0
    private let lock = NSLock()
    /// One permit per connection that may exist.
    private let permits: DispatchSemaphore

    /// Connects to the database `url` names and brings its schema up to date.
    init(url: String, maxConnections: Int = 8, reconnectFor: Duration = .seconds(10)) throws(StoreError) {
        let address: PostgresAddress
        do {
            address = try PostgresAddress(parsing: url)
        } catch {
            throw StoreError(.open, "opening \(PostgresAddress.redacted(url))", "\(error)")
        }
        location = address.redacted
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try address.tls()
        } catch {
            throw StoreError(.open, "opening \(address.redacted)", "TLS: \(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        self.configuration = configuration
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        logger = Logger(label: "rapport.store.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        self.reconnectFor = reconnectFor
        permits = DispatchSemaphore(value: maxConnections)
        do {
            try write(.snapshot) { db in try PostgresMigrations.migrate(db, location: address.redacted) }
        } catch let error as StoreError {
            throw error
        } catch DriverFailure.unreachable(let why) {
            throw StoreError(.open, "opening \(location)", why)
        } catch {
            throw StoreError(.open, "migrating \(location)", describe(error))
        }
    }

    deinit {
        for connection in idle { _ = try? connection.close().wait() }
        try? group.syncShutdownGracefully()
    }

    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        // One snapshot for the whole read, as SQLite's WAL readers get.
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    /// A ``WriteIsolation/snapshot`` write runs at REPEATABLE READ: a row another transaction
    /// changed since this one began cannot be overwritten — the write fails with a
    /// serialization error and the whole transaction runs again on fresh data. That gives the
    /// store's read-then-write transitions (an operator's cancel checked against the state it
    /// read, say) the guarantee SQLite's single writer gives them, without locking every row
    /// read. A ``WriteIsolation/conditional`` one runs at READ COMMITTED, where concurrent
    /// claims skip each other's rows instead of failing each other.
    func write<T>(_ isolation: WriteIsolation, _ body: (any SQLConnection) throws -> T) throws -> T {
        switch isolation {
        case .snapshot: try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ", body)
        case .conditional: try transaction(begin: "BEGIN ISOLATION LEVEL READ COMMITTED", body)
        }
    }

    func checkReachable() throws {
        _ = try read { db in try db.fetchValue(Int.self, sql: "SELECT 1") }
    }

    func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return message + (error.serverInfo?[.detail].map { " (\($0))" } ?? "")
        }
        if error.code == .sslUnsupported { return "the server does not offer TLS, which the URL's sslmode requires" }
        if let underlying = error.underlying, Self.isTLSFailure(underlying) {
            return "TLS handshake failed (the server's certificate is not trusted for this host?): \(underlying)"
        }
        return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
    }

    /// A certificate that is not trusted or does not name the host (NIOSSL reports the
    /// latter as an "extra" error).
    private static func isTLSFailure(_ error: any Error) -> Bool {
        error is NIOSSLError || error is NIOSSLExtraError
    }

    /// Whether connecting failed for a reason that waiting does not cure: the server refused
    /// the password or the account (`28…`), has no such database (`3D000`), or TLS failed.
    private static func isRefusal(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return isTLSFailure(error) }
        if error.code == .sslUnsupported || error.underlying.map(isTLSFailure) == true { return true }
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("28") || state == "3D000"
    }

    /// Runs `body` between `begin` and `COMMIT`. A connection lost on the way is replaced and
    /// the whole transaction run again (a commit whose answer was lost may then run twice: the
    /// store's transitions are conditional on the state they expect, so the second finds
    /// nothing to do); a deadlock or serialization failure is retried after a short random pause,
    /// up to 50 times.
    private func transaction<T>(begin: String, _ body: (any SQLConnection) throws -> T) throws -> T {
        let deadline = ContinuousClock.now + reconnectFor
        var pause = Duration.milliseconds(50)
        var conflicts = 0
        var readOnlyRetried = false
        /// Waits before connecting again: 50 ms, doubling up to 1 s.
        func backOff() {
            Thread.sleep(forTimeInterval: pause.inSeconds)
            pause = min(pause * 2, .seconds(1))
        }
        while true {
            permits.wait()
            defer { permits.signal() }
            let connection: PostgresConnection
            do {
                connection = try checkOut()
            } catch {
                // A refused password or certificate will not get better by waiting.
                guard ContinuousClock.now < deadline, !Self.isRefusal(error) else {
                    throw DriverFailure.unreachable("cannot connect to \(location): \(describe(error))")
                }
                backOff()
                continue
            }
            let session = PostgresSession(connection, logger: logger)
            do {
                try session.executeCached(sql: begin, arguments: [])
                let result = try body(session)
                try session.execute(sql: "COMMIT")
                checkIn(connection)
                return result
            } catch {
                if connection.isClosed || Self.isConnectionFailure(error) {
                    Self.close(connection)
                    guard ContinuousClock.now < deadline else {
                        throw DriverFailure.unreachable("lost the connection to \(location): \(describe(error))")
                    }
                    backOff()
                    continue
                }
                session.rollback()
                let state = (error as? PSQLError)?.serverInfo?[.sqlState]
                if state == "25006" {
                    // A session stays read-only once it started so (`default_transaction_read_only`
                    // is read when it starts), and the idle ones likely did too: drop them all
                    // and try once more on a new session, which says whether the database is
                    // read-only now.
                    Self.close(connection)
                    for stale in takeIdleConnections() { Self.close(stale) }
                    if !readOnlyRetried {
                        readOnlyRetried = true
                        continue
                    }
                } else {
                    checkIn(connection)
                }
                switch state {
                case .some(let state) where (state == "40001" || state == "40P01") && conflicts < 50:
                    conflicts += 1
                    Thread.sleep(forTimeInterval: Double.random(in: 0.001...0.01) * Double(min(conflicts, 10)))
                    continue
                case "53100":
                    throw DriverFailure.unwritable("the database server's disk is full (\(describe(error)))")
                case "25006":
                    throw DriverFailure.unwritable("the database is read-only (\(describe(error)))")
                default:
                    throw error
                }
            }
        }
    }

    /// Closes `connection` without waiting; the closure keeps it alive until it is closed.
    private static func close(_ connection: PostgresConnection) {
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    private static func isConnectionFailure(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else {
            return error is ChannelError || error is IOError || error is PostgresSession.ConnectionLost
        }
        return [.serverClosedConnection, .clientClosedConnection, .connectionError].contains(error.code)
            || error.serverInfo?[.sqlState]?.hasPrefix("08") == true
            || error.serverInfo?[.sqlState] == "57P01"  // the server is shutting down
    }

    /// A connection from the pool, or a new one.
    func checkOut() throws -> PostgresConnection {
        let reused: PostgresConnection? = lock.withLock {
            while let connection = idle.popLast() {
                if !connection.isClosed { return connection }
            }
            return nil
        }
        if let reused { return reused }
        let id = lock.withLock {
            nextID += 1
            return nextID
        }
        return try PostgresConnection.connect(
            on: group.next(), configuration: configuration, id: id, logger: logger
        ).wait()
    }

    /// Empties the pool of idle connections, handing them to the caller.
    private func takeIdleConnections() -> [PostgresConnection] {
        lock.withLock {
            defer { idle.removeAll() }
            return idle
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        lock.withLock { idle.append(connection) }
    }
}

/// The parts of a `postgres://user:password@host:port/database?sslmode=…&sslrootcert=…` URL.
struct PostgresAddress {
    var user: String
    var password: String?
    var host: String
    var port: Int
    var database: String
    /// libpq's `sslmode`: `disable`, `prefer` (the default, as in libpq: TLS when the server
    /// offers it, unverified), `require` (TLS, unverified), `verify-ca` (TLS, the certificate
    /// signed by `sslrootcert` or a system CA) or `verify-full` (that, and the certificate names
    /// the host).
    var sslMode: SSLMode
    /// A PEM file of the CAs to trust for `verify-ca`/`verify-full`; the system's when `nil`.
    var sslRootCertificate: String?

    enum SSLMode: String, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    init(parsing url: String) throws(ParseError) {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else {
            throw ParseError("expected postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw ParseError("the URL names no host") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw ParseError("the URL names no database (…/NAME)") }
        self.host = host
        self.port = components.port ?? 5432
        self.user = components.user ?? "postgres"
        self.password = components.password
        self.database = database
        sslMode = .prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    let modes = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw ParseError("sslmode '\(item.value ?? "")' is not one of \(modes)")
                }
                sslMode = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else { throw ParseError("sslrootcert names no file") }
                sslRootCertificate = path
            default:
                throw ParseError("unknown URL parameter '\(item.name)' (Rapport reads sslmode and sslrootcert)")
            }
        }
        if sslRootCertificate != nil, ![.verifyCA, .verifyFull].contains(sslMode) {
            throw ParseError("sslrootcert needs sslmode=verify-ca or verify-full")
        }
    }

    /// The URL without its password, for logs and messages.
    var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    static func redacted(_ url: String) -> String {
        (try? PostgresAddress(parsing: url))?.redacted ?? "the PostgreSQL URL"
    }

    /// postgres-nio's TLS setting for ``sslMode``.
    func tls() throws -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return .disable
        case .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let sslRootCertificate {
            guard FileManager.default.isReadableFile(atPath: sslRootCertificate) else {
                throw ParseError("cannot read sslrootcert \(sslRootCertificate)")
            }
            configuration.trustRoots = .file(sslRootCertificate)
        }
        let context = try NIOSSLContext(configuration: configuration)
        return sslMode == .prefer ? .prefer(context) : .require(context)
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
