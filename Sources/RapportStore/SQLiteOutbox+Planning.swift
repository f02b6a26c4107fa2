import Foundation
import GRDB

/// What the engine needs to tell whether a plan is still current.
extension SQLiteOutbox {
    public func planningMarker() throws(StoreError) -> String {
        try read("reading the planning marker") { db in
            let event = try Int64.fetchOne(db, sql: "SELECT max(id) FROM event") ?? 0
            let message = try Double.fetchOne(db, sql: "SELECT max(updated_at) FROM message") ?? 0
            return "\(event)/\(message)"
        }
    }

    public func planFingerprint() throws(StoreError) -> String? {
        try read("reading the plan fingerprint") { db in
            try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'plan_fingerprint'")
        }
    }

    public func setPlanFingerprint(_ fingerprint: String) throws(StoreError) {
        try write("recording the plan fingerprint") { db in
            try db.execute(
                sql: """
                    INSERT INTO setting (key, value) VALUES ('plan_fingerprint', ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """,
                arguments: [fingerprint])
        }
    }
}
