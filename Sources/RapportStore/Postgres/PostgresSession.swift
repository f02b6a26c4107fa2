import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One connection inside one transaction, speaking the store's SQL: `?` and `?N` placeholders
/// become `$n`, values are bound with their types, and rows come back as ``StoreValue``s.
///
/// ``executeCached(sql:arguments:)`` does not wait for its answer: the statement is queued on
/// the connection, which sends it as soon as the one before is done, and the caller goes on
/// to its next statement. Its result is waited for when something needs it — ``changesCount``,
/// a read, a plain ``execute(sql:arguments:)``, the commit — and its failure is thrown there.
/// An outcome recorded on the dispatch path costs one wait instead of four.
final class PostgresSession: SQLConnection {
    private let connection: PostgresConnection
    private let logger: Logger
    private var lastChanges = 0
    /// Statements sent and not yet waited for, in order.
    private var pending: [EventLoopFuture<PostgresQueryResult>] = []
    private var cursors = 0

    init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    var dialect: SQLDialect { .postgres }

    var changesCount: Int {
        get throws {
            try settle()
            return lastChanges
        }
    }

    func execute(sql: String, arguments: [any StoreBindable]) throws {
        try settle()
        lastChanges = try answer(to: send(sql, arguments)).metadata.rows ?? 0
    }

    func executeCached(sql: String, arguments: [any StoreBindable]) throws {
        // Bounded, so that a long run of inserts (a large plan) does not queue them all.
        if pending.count >= 256 { try settle() }
        pending.append(send(sql, arguments))
    }

    func fetchAll(sql: String, arguments: [any StoreBindable]) throws -> [any StoreRow] {
        try settle()
        let result = try answer(to: send(sql, arguments))
        lastChanges = result.metadata.rows ?? 0
        return Self.rows(result.rows)
    }

    /// Waits for every queued statement, in order. The first failure is thrown: the ones after
    /// it are only the server refusing statements in a transaction that already failed.
    func settle() throws {
        guard !pending.isEmpty else { return }
        let sent = pending
        pending.removeAll(keepingCapacity: true)
        var failure: (any Error)?
        for future in sent {
            do {
                lastChanges = try answer(to: future).metadata.rows ?? 0
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }

    /// Rolls the transaction back, after waiting out whatever is still queued.
    func rollback() {
        _ = try? settle()
        _ = try? answer(to: send("ROLLBACK", []))
    }

    /// Reads through a server-side cursor, a few thousand rows at a time, so a million-row read
    /// never sits in memory at once.
    func forEachRow(sql: String, arguments: [any StoreBindable], _ body: (any StoreRow) throws -> Void) throws {
        try settle()
        cursors += 1
        let name = "rapport_cursor_\(cursors)"
        _ = try answer(to: send("DECLARE \(name) NO SCROLL CURSOR FOR \(sql)", arguments))
        while true {
            let batch = try answer(to: send("FETCH FORWARD 5000 FROM \(name)", []))
            for row in Self.rows(batch.rows) { try body(row) }
            if batch.rows.count < 5000 { break }
        }
        _ = try answer(to: send("CLOSE \(name)", []))
    }

    func columnNames(of table: String) throws -> Set<String> {
        Set(
            try fetchValues(
                String.self,
                sql:
                    "SELECT column_name::text FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema()",
                arguments: [table]))
    }

    /// Waits for a statement's answer, or for its connection to be gone.
    ///
    /// postgres-nio writes a statement to its channel without a promise: a statement sent just
    /// as the connection closes is dropped by the closed channel, and its answer never comes.
    /// So the wait also watches the connection: closed for a second with no answer is
    /// ``ConnectionLost``, which the driver treats as any lost connection (a new one, and the
    /// transaction again). A slow answer on an open connection is waited for as long as it takes.
    private func answer<Value: Sendable>(to future: EventLoopFuture<Value>) throws -> Value {
        let answered = DispatchSemaphore(value: 0)
        future.whenComplete { _ in answered.signal() }
        var closedSince: ContinuousClock.Instant?
        while answered.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
            guard connection.isClosed else { continue }
            let now = ContinuousClock.now
            if let closedSince, now - closedSince >= .seconds(1) { throw ConnectionLost() }
            closedSince = closedSince ?? now
        }
        return try future.wait()
    }

    /// The connection closed with a statement of this session unanswered.
    struct ConnectionLost: Error, CustomStringConvertible {
        var description: String { "the connection closed before the server answered" }
    }

    /// Queues one statement on the connection; its answer, when it comes.
    private func send(_ sql: String, _ arguments: [any StoreBindable]) -> EventLoopFuture<PostgresQueryResult> {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument.storeValue {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .blob(let data): bindings.append(ByteBuffer(bytes: data))
            }
        }
        let query = PostgresQuery(unsafeSQL: Self.numberedPlaceholders(sql), binds: bindings)
        return connection.query(query, logger: logger)
    }

    /// Rows with their column names shared.
    private static func rows(_ rows: [PostgresRow]) -> [any StoreRow] {
        guard let first = rows.first else { return [] }
        let names = first.map(\.columnName)
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        return rows.map { row in PostgresStoreRow(names: names, index: index, values: row.map(Self.value)) }
    }

    /// A cell as a store value, by its PostgreSQL type (results come in binary).
    static func value(_ cell: PostgresCell) -> StoreValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int2: return .integer(Int64(try cell.decode(Int16.self)))
            case .int4: return .integer(Int64(try cell.decode(Int32.self)))
            case .int8: return .integer(try cell.decode(Int64.self))
            case .float4: return .real(Double(try cell.decode(Float.self)))
            case .float8: return .real(try cell.decode(Double.self))
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .numeric:
                let number = try cell.decode(Decimal.self)
                let double = NSDecimalNumber(decimal: number).doubleValue
                return double.rounded() == double && abs(double) < 1e15 ? .integer(Int64(double)) : .real(double)
            case .bytea:
                var buffer = try cell.decode(ByteBuffer.self)
                return .blob(Data(buffer.readBytes(length: buffer.readableBytes) ?? []))
            default: return .text(try cell.decode(String.self))
            }
        } catch {
            preconditionFailure("column \(cell.columnName): cannot read a \(cell.dataType) value: \(error)")
        }
    }

    /// `?` becomes `$1`, `$2`, … in order; `?N` becomes `$N`. Text in quotes and quoted names
    /// are left alone.
    static func numberedPlaceholders(_ sql: String) -> String {
        guard sql.contains("?") else { return sql }
        var result = ""
        result.reserveCapacity(sql.utf8.count + 16)
        var next = 0
        var quote: Character?
        var characters = sql.makeIterator()
        var pending: Character? = nil
        func nextCharacter() -> Character? {
            if let character = pending {
                pending = nil
                return character
            }
            return characters.next()
        }
        while let character = nextCharacter() {
            if let open = quote {
                result.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                result.append(character)
            case "?":
                var digits = ""
                while let following = nextCharacter() {
                    if following.isASCII, following.isNumber {
                        digits.append(following)
                    } else {
                        pending = following
                        break
                    }
                }
                if digits.isEmpty {
                    next += 1
                    result += "$\(next)"
                } else {
                    result += "$" + digits
                }
            default:
                result.append(character)
            }
        }
        return result
    }
}

/// A row read from PostgreSQL, already converted.
struct PostgresStoreRow: StoreRow {
    let names: [String]
    let index: [String: Int]
    let values: [StoreValue]

    func value(named column: String) -> StoreValue { index[column].map { values[$0] } ?? .null }
    func value(at position: Int) -> StoreValue { values[position] }
    var columns: [(name: String, value: StoreValue)] { Array(zip(names, values)) }
}
