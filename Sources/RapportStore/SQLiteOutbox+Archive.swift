import Foundation
import GRDB

/// A column's value in an export.
public enum ArchivedValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

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

extension ArchivedValue: Codable {
    private struct Blob: Codable {
        var base64: String
    }

    /// Whole numbers first, so an integer column reads back as one (a REAL column stores a
    /// whole number as a real again); text; `{"base64": …}` for bytes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let number = try? container.decode(Int64.self) {
            self = .integer(number)
        } else if let number = try? container.decode(Double.self) {
            self = .real(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let blob = try? container.decode(Blob.self), let data = Data(base64Encoded: blob.base64) {
            self = .blob(data)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected null, a number, text or {\"base64\": …}")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .integer(let number): try container.encode(number)
        case .real(let number): try container.encode(number)
        case .text(let text): try container.encode(text)
        case .blob(let data): try container.encode(Blob(base64: data.base64EncodedString()))
        }
    }
}

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

extension SQLiteOutbox {
    /// The tables an export carries, parents before children: everything Rapport knows about
    /// messages and people, not the daemon's heartbeat or the subscription settings.
    public static let archivedTables = [
        "message", "attempt", "event", "touchpoint", "contact_kind", "opt_out", "suppression", "lifecycle_event",
    ]

    /// Copies the whole store to a new file at `path` with SQLite's online backup, safe while a
    /// daemon writes (it sees one consistent snapshot). The copy is created 0600 and refused if
    /// the file exists.
    public func backup(to path: String) throws(StoreError) {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.query, "backing up to \(path)", "the file exists; choose a new name")
        }
        do {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            else {
                throw StoreError(.query, "backing up to \(path)", "cannot create the file")
            }
            let target = try DatabaseQueue(path: path)
            try pool.backup(to: target)
            try target.close()
        } catch let error as StoreError {
            throw error
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
                let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM \(table) ORDER BY rowid")
                while let row = try cursor.next() {
                    var values: [String: ArchivedValue] = [:]
                    for (column, value) in row { values[column] = ArchivedValue(value) }
                    try body(ArchivedRow(table: table, values: values))
                }
            }
        }
    }

    /// Stores exported rows, all or nothing, into this store, which must hold no message yet
    /// (so that nothing stored is overwritten). Unknown tables and columns are refused.
    /// - Returns: rows stored per table.
    public func importRows(_ rows: [(line: Int, row: ArchivedRow)]) throws -> [String: Int] {
        try pool.write { db in
            let existing = try Int.fetchOne(db, sql: "SELECT count(*) FROM message") ?? 0
            guard existing == 0 else {
                throw StoreError(
                    .query, "importing history",
                    "this store already holds \(existing) messages; import into a new store (a new [store] path)")
            }
            var columns: [String: Set<String>] = [:]
            for table in Self.archivedTables {
                columns[table] = Set(try db.columns(in: table).map(\.name))
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
                let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
                do {
                    try db.execute(
                        sql: "INSERT INTO \(row.table) (\(names.joined(separator: ", "))) VALUES (\(placeholders))",
                        arguments: StatementArguments(names.map { row.values[$0]!.databaseValue }))
                } catch let error as DatabaseError {
                    throw ImportProblem(line: line, problem: "\(row.table): \(error.message ?? "\(error)")")
                }
                counts[row.table, default: 0] += 1
            }
            return counts
        }
    }
}
