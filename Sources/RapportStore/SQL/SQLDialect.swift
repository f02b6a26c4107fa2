/// The spellings that differ between SQLite and PostgreSQL. Everything else the store writes
/// once, in SQL both understand.
enum SQLDialect: Sendable, Hashable {
    case sqlite
    case postgres

    /// `text`'s value at a JSON path, as text: `json_extract` or `#>>`.
    func jsonText(_ column: String, path: [String]) -> String {
        switch self {
        case .sqlite: "json_extract(\(column), '$.\(path.joined(separator: "."))')"
        case .postgres: "(\(column)::jsonb #>> '{\(path.joined(separator: ","))}')"
        }
    }

    /// `left = right`, ignoring ASCII case, in the form the backend's case-blind index serves.
    func equalsIgnoringCase(_ left: String, _ right: String) -> String {
        switch self {
        case .sqlite: "\(left) = \(right) COLLATE NOCASE"
        case .postgres: "lower(\(left)) = lower(\(right))"
        }
    }

    /// Whether `haystack` contains `needle` (exact bytes, no wildcards).
    func contains(_ haystack: String, _ needle: String) -> String {
        switch self {
        case .sqlite: "instr(\(haystack), \(needle)) > 0"
        case .postgres: "strpos(\(haystack), \(needle)) > 0"
        }
    }

    /// A query of one text value that changes whenever any message's `updated_at` is set: a
    /// counter a trigger keeps in SQLite, the latest time (by its index) in PostgreSQL.
    var messageChanges: String {
        switch self {
        case .sqlite: "SELECT value FROM setting WHERE key = 'message_changes'"
        case .postgres: "SELECT max(updated_at)::text FROM message"
        }
    }

    /// What a claim's inner `SELECT` adds so that concurrent claimers skip each other's rows
    /// instead of waiting: SQLite has one writer at a time and needs nothing.
    var skipLockedRows: String {
        switch self {
        case .sqlite: ""
        case .postgres: "FOR UPDATE SKIP LOCKED"
        }
    }

    /// A JSON object built from `key, value` pairs of SQL expressions (it nests in another).
    func jsonObject(_ pairs: [(String, String)]) -> String {
        let arguments = pairs.map { "'\($0.0)', \($0.1)" }.joined(separator: ", ")
        switch self {
        case .sqlite: return "json_object(\(arguments))"
        case .postgres: return "json_build_object(\(arguments))"
        }
    }

    /// A JSON value as text, to store.
    func jsonAsText(_ json: String) -> String {
        switch self {
        case .sqlite: json
        case .postgres: "(\(json))::text"
        }
    }

    /// An ISO 8601 UTC time from seconds since the epoch, with milliseconds or without.
    func isoTimestamp(_ seconds: String, milliseconds: Bool) -> String {
        switch self {
        case .sqlite:
            return "strftime('\(milliseconds ? "%Y-%m-%dT%H:%M:%fZ" : "%Y-%m-%dT%H:%M:%SZ")', \(seconds), 'unixepoch')"
        case .postgres:
            let format = milliseconds ? "YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"" : "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\""
            return "to_char(to_timestamp(\(seconds)) AT TIME ZONE 'UTC', '\(format)')"
        }
    }

    /// Statements that let this transaction rewrite the append-only audit trail (erasure only).
    var liftAuditGuard: [String] {
        switch self {
        case .sqlite: ["DROP TRIGGER event_is_append_only_update"]
        case .postgres: ["SET LOCAL rapport.audit_rewrite = 'on'"]
        }
    }

    /// Statements that make the audit trail append-only again, in the same transaction.
    var restoreAuditGuard: [String] {
        switch self {
        case .sqlite:
            [
                """
                CREATE TRIGGER event_is_append_only_update BEFORE UPDATE ON event
                    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
                """
            ]
        case .postgres: ["SET LOCAL rapport.audit_rewrite = 'off'"]
        }
    }

    /// Statements to run after rows were inserted with explicit ids (an import).
    func afterExplicitIDs(tables: [String]) -> [String] {
        switch self {
        case .sqlite: []
        case .postgres:
            tables.map {
                "SELECT setval(pg_get_serial_sequence('\($0)', 'id'), GREATEST((SELECT max(id) FROM \($0)), 1))"
            }
        }
    }

    /// A type for a bound parameter where the backend cannot infer one (PostgreSQL in a
    /// `SELECT` list or `json_build_object`).
    func typed(_ parameter: String, as type: String) -> String {
        switch self {
        case .sqlite: parameter
        case .postgres: "CAST(\(parameter) AS \(type))"
        }
    }
}
