/// A row read from the store, its columns by name.
protocol StoreRow {
    /// The column's value; `.null` when the row has no such column.
    func value(named column: String) -> StoreValue
    /// The value of the column at `index` (0-based), in the order the query names them.
    func value(at index: Int) -> StoreValue
    /// Every column's name and value, in the order the query names them.
    var columns: [(name: String, value: StoreValue)] { get }
}

extension StoreRow {
    /// The column's value as `T`; a column that cannot be read as `T` is a schema bug and
    /// traps, as GRDB's rows do.
    subscript<T: StoreDecodable>(_ column: String) -> T {
        let value = value(named: column)
        guard let decoded = T(storeValue: value) else {
            preconditionFailure("column \(column): cannot read \(value) as \(T.self)")
        }
        return decoded
    }
}

/// One transaction (or one read) on the store, as the store's code writes its SQL: `?`
/// placeholders (`?N` for a numbered one), values as ``StoreBindable``, and the few spellings
/// that differ between backends from ``dialect``.
protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// How many rows the last `execute` changed.
    var changesCount: Int { get }
    func execute(sql: String, arguments: [any StoreBindable]) throws
    /// Like ``execute(sql:arguments:)``, with the statement compiled once per connection where
    /// the backend can: for the hot paths (storing a plan, recording an outcome, the audit trail).
    func executeCached(sql: String, arguments: [any StoreBindable]) throws
    func fetchAll(sql: String, arguments: [any StoreBindable]) throws -> [any StoreRow]
    /// Calls `body` with each row as it is read, never holding them all (the planner's full
    /// read, exports). `body` must not keep the row.
    func forEachRow(sql: String, arguments: [any StoreBindable], _ body: (any StoreRow) throws -> Void) throws
    /// The names of a table's columns.
    func columnNames(of table: String) throws -> Set<String>
}

extension SQLConnection {
    func execute(sql: String) throws { try execute(sql: sql, arguments: []) }

    func fetchAll(sql: String) throws -> [any StoreRow] { try fetchAll(sql: sql, arguments: []) }

    func fetchOne(sql: String, arguments: [any StoreBindable] = []) throws -> (any StoreRow)? {
        try fetchAll(sql: sql, arguments: arguments).first
    }

    /// The first column of the first row; `nil` when there is no row or the value is NULL.
    func fetchValue<T: StoreDecodable>(_ type: T.Type, sql: String, arguments: [any StoreBindable] = []) throws -> T? {
        guard let row = try fetchOne(sql: sql, arguments: arguments) else { return nil }
        return T?(storeValue: row.value(at: 0)) ?? nil
    }

    /// The first column of every row (NULLs and unreadable values left out).
    func fetchValues<T: StoreDecodable>(_ type: T.Type, sql: String, arguments: [any StoreBindable] = []) throws
        -> [T]
    {
        try fetchAll(sql: sql, arguments: arguments).compactMap { T(storeValue: $0.value(at: 0)) }
    }
}

/// Why a backend refused a transaction, as the store reports it.
enum DriverFailure: Error {
    /// The disk is full or the store is read-only: nothing was changed.
    case unwritable(String)
    /// The server cannot be reached (after the driver's retries).
    case unreachable(String)
}

/// A backend: opens transactions on its connections.
protocol StoreDriver: Sendable {
    var dialect: SQLDialect { get }
    /// Where the store is, for messages: a file path, or a URL without its password.
    var location: String { get }
    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Runs `body` in one transaction, committed when it returns, rolled back when it throws.
    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Throws ``DriverFailure/unreachable(_:)`` when the store is gone (the file replaced, the
    /// server down).
    func checkReachable() throws
    /// The one-line text of a backend's error (the server's message, without the query).
    func describe(_ error: any Error) -> String
}
