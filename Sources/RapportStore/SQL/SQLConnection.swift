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
    /// How many rows the last statement changed. A statement whose answer was not waited for
    /// (``executeCached(sql:arguments:)`` on PostgreSQL) is waited for here, and its failure
    /// thrown.
    var changesCount: Int { get throws }
    func execute(sql: String, arguments: [any StoreBindable]) throws
    /// Like ``execute(sql:arguments:)``, for the hot paths (storing a plan, recording an
    /// outcome, the audit trail): SQLite compiles the statement once per connection; PostgreSQL
    /// queues it without waiting for its answer, so its failure may be thrown by the next call
    /// that needs a result (and always before the commit).
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

/// How a write transaction is kept apart from the others running at the same time. SQLite has
/// one writer at a time, which isolates every write fully; the choice matters on PostgreSQL.
enum WriteIsolation {
    /// The transaction reads one snapshot, and a row another transaction changed since then
    /// cannot be overwritten: the write fails and runs again on fresh data. For transitions that
    /// read a state and then decide (an operator's cancel, a plan), which must not act on a
    /// state that is already gone.
    case snapshot
    /// Each statement sees the latest committed rows. Only for writes whose every statement
    /// re-checks, in its own `WHERE`, the state it changes (`… AND state = 'sending' AND
    /// lease_owner = ?`) and whose claims lock with `FOR UPDATE SKIP LOCKED`: PostgreSQL
    /// re-evaluates such a condition on the newest version of a row another transaction
    /// changed, so the write can never act on a stale state, and concurrent claimers pass each
    /// other by instead of failing each other. The dispatch hot path (claims and outcomes).
    case conditional
}

/// A backend: opens transactions on its connections.
protocol StoreDriver: Sendable {
    var dialect: SQLDialect { get }
    /// Where the store is, for messages: a file path, or a URL without its password.
    var location: String { get }
    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Runs `body` in one transaction, committed when it returns, rolled back when it throws.
    func write<T>(_ isolation: WriteIsolation, _ body: (any SQLConnection) throws -> T) throws -> T
    /// Throws ``DriverFailure/unreachable(_:)`` when the store is gone (the file replaced, the
    /// server down).
    func checkReachable() throws
    /// The one-line text of a backend's error (the server's message, without the query).
    func describe(_ error: any Error) -> String
}
