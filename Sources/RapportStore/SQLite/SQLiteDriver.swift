import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// The outbox in one SQLite file (WAL mode), the embedded default.
///
/// Durability: `synchronous = FULL`, so a committed state change survives power loss, not just
/// a crash of the process. Readers (the CLI) never block the daemon, and writers wait for each
/// other up to the busy timeout instead of failing with "database is locked".
final class SQLiteDriver: StoreDriver {
    let pool: DatabasePool
    let path: String
    /// The store file's device and inode when opened: ``checkReachable()`` notices a file that
    /// was moved, deleted or replaced under the daemon.
    private let identity: FileIdentity?

    var dialect: SQLDialect { .sqlite }
    var location: String { path }

    /// Opens (creating if needed, mode 0600) and migrates the store at `path`.
    init(path: String, busyTimeout: TimeInterval) throws(StoreError) {
        self.path = path
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // Deleted and overwritten content is zeroed, so erased personal data does not
                // linger in free pages of the file.
                try db.execute(sql: "PRAGMA secure_delete = ON")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            identity = FileIdentity(path: path)
        } catch {
            throw StoreError(.open, "opening \(path)", "\(error)")
        }
        let migrator = SQLiteMigrations.migrator
        do {
            let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                throw StoreError(
                    .newerSchema, "opening \(path)",
                    "the store was written by a newer version of Rapport; upgrade Rapport")
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.open, "migrating \(path)", "\(error)")
        }
    }

    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.read { db in try body(GRDBConnection(db)) }
    }

    /// SQLite runs one write at a time, so every isolation is the full one.
    func write<T>(_ isolation: WriteIsolation, _ body: (any SQLConnection) throws -> T) throws -> T {
        do {
            return try pool.write { db in try body(GRDBConnection(db)) }
        } catch let error as DatabaseError
            where [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR].contains(error.resultCode)
        {
            let why =
                error.resultCode == .SQLITE_FULL
                ? "the disk is full" : error.resultCode == .SQLITE_READONLY ? "the store is read-only" : "I/O error"
            throw DriverFailure.unwritable("\(why) (\(error.message ?? "\(error)"))")
        }
    }

    /// `PRAGMA query_only` on the writer: every later write fails as on a read-only file system.
    func setQueryOnly(_ on: Bool) throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = \(on ? 1 : 0)") }
    }

    /// Copies the store to a new file at `path` (created 0600) with SQLite's online backup.
    func backup(to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        else {
            throw StoreError(.query, "backing up to \(path)", "cannot create the file")
        }
        let target = try DatabaseQueue(path: path)
        try pool.backup(to: target)
        try target.close()
    }

    func describe(_ error: any Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }

    func checkpoint(truncate: Bool) throws {
        try pool.writeWithoutTransaction { db in
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(\(truncate ? "TRUNCATE" : "PASSIVE"))")
        }
    }

    func checkReachable() throws {
        let current = FileIdentity(path: path)
        guard let current, current == identity else {
            throw DriverFailure.unreachable(
                current == nil ? "the file is gone" : "the file was replaced since the daemon opened it")
        }
        _ = try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") }
    }
}

/// A GRDB connection inside one read or transaction.
final class GRDBConnection: SQLConnection {
    let db: Database

    init(_ db: Database) { self.db = db }

    var dialect: SQLDialect { .sqlite }
    var changesCount: Int { db.changesCount }

    func execute(sql: String, arguments: [any StoreBindable]) throws {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
    }

    func executeCached(sql: String, arguments: [any StoreBindable]) throws {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
    }

    func fetchAll(sql: String, arguments: [any StoreBindable]) throws -> [any StoreRow] {
        let rows = try Row.fetchAll(db, sql: sql, arguments: Self.arguments(arguments))
        guard let first = rows.first else { return [] }
        let columns = ColumnPositions(first)
        return rows.map { GRDBRow($0, columns: columns) }
    }

    func forEachRow(sql: String, arguments: [any StoreBindable], _ body: (any StoreRow) throws -> Void) throws {
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: Self.arguments(arguments))
        var columns: ColumnPositions?
        while let row = try cursor.next() {
            let known = columns ?? ColumnPositions(row)
            columns = known
            try body(GRDBRow(row, columns: known))
        }
    }

    func columnNames(of table: String) throws -> Set<String> {
        Set(try db.columns(in: table).map(\.name))
    }

    private static func arguments(_ values: [any StoreBindable]) -> StatementArguments {
        StatementArguments(values.map { $0.storeValue.databaseValue as (any DatabaseValueConvertible)? })
    }
}

/// The position of each column of a result, found once for all its rows: GRDB's lookup by
/// name ignores case by lowercasing the name at every call, a visible cost when a claim reads
/// 36 columns of a thousand rows.
final class ColumnPositions: Sendable {
    let positions: [String: Int]

    init(_ row: Row) {
        positions = Dictionary(row.columnNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A GRDB row (a cursor's row is reused: read it in the callback, never keep it).
struct GRDBRow: StoreRow {
    let row: Row
    let positions: ColumnPositions

    init(_ row: Row, columns: ColumnPositions) {
        self.row = row
        self.positions = columns
    }

    func value(named column: String) -> StoreValue {
        if let position = positions.positions[column] { return StoreValue(row[position] as DatabaseValue) }
        return (row[column] as DatabaseValue?).map(StoreValue.init) ?? .null
    }

    func value(at index: Int) -> StoreValue { StoreValue(row[index] as DatabaseValue) }

    var columns: [(name: String, value: StoreValue)] { row.map { ($0.0, StoreValue($0.1)) } }
}

extension StoreValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let number): self = .integer(number)
        case .double(let number): self = .real(number)
        case .string(let text): self = .text(text)
        case .blob(let data): self = .blob(data)
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let data): data.databaseValue
        }
    }
}

/// A file's device and inode.
struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
