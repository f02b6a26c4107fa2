import Foundation

/// One line of an export: a row of one of the store's tables.
public struct ArchivedRow: Sendable, Codable {
    public var table: String
    /// Column name to value.
    public var values: [String: ArchivedValue]

    enum CodingKeys: String, CodingKey {
        case table
        case values = "row"
    }

    public init(table: String, values: [String: ArchivedValue]) {
        self.table = table
        self.values = values
    }
}

/// A problem with one line of an import, reported as `file:line: problem`.
public struct ImportProblem: Error, CustomStringConvertible, Sendable {
    public var line: Int
    public var problem: String
    public var description: String { "line \(line): \(problem)" }
}

extension Outbox {
    /// The tables an export carries, parents before children: everything Rapport knows about
    /// messages and people, not the daemon's heartbeat or the subscription settings.
    public static let archivedTables = [
        "message", "attempt", "event", "touchpoint", "contact_kind", "opt_out", "suppression", "lifecycle_event",
    ]

    /// Copies the whole store to a new file at `path` with SQLite's online backup, safe while a
    /// daemon writes (it sees one consistent snapshot). The copy is created 0600 and refused if
    /// the file exists. A PostgreSQL store is backed up with PostgreSQL's tools (`pg_dump`).
    public func backup(to path: String) throws(StoreError) {
        guard let sqlite = driver as? SQLiteDriver else {
            throw StoreError(
                .query, "backing up to \(path)",
                "a PostgreSQL store is backed up with pg_dump, or moved with rapport export")
        }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.query, "backing up to \(path)", "the file exists; choose a new name")
        }
        do {
            try sqlite.backup(to: path)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw StoreError(.query, "backing up to \(path)", "\(error)")
        }
    }

    /// Calls `body` with every row of ``archivedTables``, table by table, in key order, from one
    /// consistent snapshot.
    public func exportRows(_ body: (ArchivedRow) throws -> Void) throws(StoreError) {
        try read("exporting the store") { db in
            for table in Self.archivedTables {
                let order = db.dialect == .sqlite ? "rowid" : Self.archivedKeys[table] ?? "1"
                try db.forEachRow(sql: "SELECT * FROM \(table) ORDER BY \(order)", arguments: []) { row in
                    var values: [String: ArchivedValue] = [:]
                    for (column, value) in row.columns { values[column] = value }
                    try body(ArchivedRow(table: table, values: values))
                }
            }
        }
    }

    /// Each archived table's key, the order of an export from PostgreSQL (which has no rowid).
    static let archivedKeys = [
        "message": "id", "attempt": "id", "event": "id", "touchpoint": "id", "contact_kind": "contact_id",
        "opt_out": "contact_id", "suppression": "address_hash", "lifecycle_event": "id",
    ]

    /// Stores exported rows, all or nothing, into this store, which must hold no message yet
    /// (so that nothing stored is overwritten). Unknown tables and columns are refused.
    /// - Returns: rows stored per table.
    public func importRows(_ rows: [(line: Int, row: ArchivedRow)]) throws -> [String: Int] {
        do {
            return try driver.write(.snapshot) { db in
                let existing = try db.fetchValue(Int.self, sql: "SELECT count(*) FROM message") ?? 0
                guard existing == 0 else {
                    throw StoreError(
                        .query, "importing history",
                        "this store already holds \(existing) messages; import into a new store")
                }
                var columns: [String: Set<String>] = [:]
                for table in Self.archivedTables {
                    columns[table] = try db.columnNames(of: table)
                }
                var counts: [String: Int] = [:]
                for (line, row) in rows {
                    guard let known = columns[row.table] else {
                        throw ImportProblem(line: line, problem: "unknown table '\(row.table)'")
                    }
                    let names = row.values.keys.sorted()
                    if let unknown = names.first(where: { !known.contains($0) }) {
                        throw ImportProblem(line: line, problem: "\(row.table) has no column '\(unknown)'")
                    }
                    do {
                        try db.execute(
                            sql:
                                "INSERT INTO \(row.table) (\(names.joined(separator: ", "))) VALUES (\(Self.placeholders(names.count)))",
                            arguments: names.map { row.values[$0]! })
                    } catch {
                        throw ImportProblem(line: line, problem: "\(row.table): \(driver.describe(error))")
                    }
                    counts[row.table, default: 0] += 1
                }
                // PostgreSQL's identity columns do not see explicit ids: move them past the
                // imported ones, so the next row gets a fresh id.
                for statement in db.dialect.afterExplicitIDs(tables: [
                    "attempt", "event", "touchpoint", "lifecycle_event",
                ]) {
                    try db.execute(sql: statement)
                }
                return counts
            }
        } catch let error as DriverFailure {
            throw Self.storeError(error, "importing history")
        }
    }
}
