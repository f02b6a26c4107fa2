import Foundation

/// What the engine needs to tell whether a plan is still current.
extension Outbox {
    public func planningMarker() throws(StoreError) -> String {
        try read("reading the planning marker") { db in
            let event = try db.fetchValue(Int64.self, sql: "SELECT max(id) FROM event") ?? 0
            let messages = try db.fetchValue(String.self, sql: db.dialect.messageChanges) ?? ""
            return "\(event)/\(messages)"
        }
    }

    public func planFingerprint() throws(StoreError) -> String? {
        try read("reading the plan fingerprint") { db in
            try db.fetchValue(String.self, sql: "SELECT value FROM setting WHERE key = 'plan_fingerprint'")
        }
    }

    public func setPlanFingerprint(_ fingerprint: String) throws(StoreError) {
        try write("recording the plan fingerprint") { db in
            try Self.set(db, setting: "plan_fingerprint", to: fingerprint)
        }
    }

    /// Stores one `setting` row, replacing its value.
    static func set(_ db: any SQLConnection, setting key: String, to value: String) throws {
        try db.execute(
            sql: """
                INSERT INTO setting (key, value) VALUES (?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """,
            arguments: [key, value])
    }
}
