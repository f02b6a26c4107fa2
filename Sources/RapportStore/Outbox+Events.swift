import Foundation
import RapportCore

extension Outbox: EventStore {
    public func subscribe(to types: Set<LifecycleEventType>) throws(StoreError) {
        try write("recording event subscriptions") { db in
            try db.execute(sql: "DELETE FROM event_subscription")
            for type in types.sorted(by: { $0.rawValue < $1.rawValue }) {
                try db.execute(sql: "INSERT INTO event_subscription (type) VALUES (?)", arguments: [type.rawValue])
            }
        }
    }

    public func subscriptions() throws(StoreError) -> Set<LifecycleEventType> {
        try read("reading event subscriptions") { db in
            Set(
                try db.fetchValues(String.self, sql: "SELECT type FROM event_subscription").compactMap(
                    LifecycleEventType.init))
        }
    }

    public func claimEvents(now: Date, limit: Int, owner: String, leaseSeconds: Double) throws(StoreError)
        -> [PendingEvent]
    {
        try write("claiming due events", isolation: .conditional) { db in
            let t = now.timeIntervalSince1970
            return try db.fetchAll(
                sql: """
                    UPDATE lifecycle_event SET state = 'sending', lease_owner = ?, lease_expires_at = ?,
                        attempts = attempts + 1
                    WHERE id IN (
                        SELECT id FROM lifecycle_event
                        WHERE (state = 'pending' AND next_attempt_at <= ?)
                           OR (state = 'sending' AND lease_expires_at <= ?)
                        ORDER BY id LIMIT ? \(db.dialect.skipLockedRows))
                    RETURNING event_id, type, body, attempts, id
                    """,
                arguments: [owner, t + leaseSeconds, t, t, limit]
            ).sorted { ($0["id"] as Int64) < ($1["id"] as Int64) }.map { row in
                PendingEvent(id: row["event_id"], type: row["type"], body: row["body"], attempts: row["attempts"])
            }
        }
    }

    public func recordEvent(_ outcome: DeliveryOutcome, for id: String, owner: String, at date: Date)
        throws(StoreError)
    {
        try write("recording an event delivery", isolation: .conditional) { db in
            let now = date.timeIntervalSince1970
            let (state, next, detail): (String, Double?, String)
            switch outcome {
            case .delivered(let text): (state, next, detail) = ("sent", nil, text)
            case .retry(let text, let at): (state, next, detail) = ("pending", at.timeIntervalSince1970, text)
            case .failed(let text), .endpointGone(let text): (state, next, detail) = ("failed", nil, text)
            }
            try db.execute(
                sql: """
                    UPDATE lifecycle_event SET state = ?, next_attempt_at = coalesce(?, next_attempt_at),
                        last_error = CASE WHEN ? = 'sent' THEN NULL ELSE ? END,
                        sent_at = CASE WHEN ? = 'sent' THEN ? END, lease_owner = NULL, lease_expires_at = NULL
                    WHERE event_id = ? AND state = 'sending' AND lease_owner = ?
                    """,
                arguments: [state, next, state, detail, state, now, id, owner])
        }
    }

    public func eventCounts() throws(StoreError) -> [String: Int] {
        try read("counting events") { db in
            var counts: [String: Int] = [:]
            for row in try db.fetchAll(sql: "SELECT state, count(*) AS n FROM lifecycle_event GROUP BY state") {
                counts[row["state"]] = row["n"]
            }
            return counts
        }
    }

    /// Whether anyone subscribed to `type` (checked once per plan, not per message).
    static func isSubscribed(_ db: any SQLConnection, _ type: LifecycleEventType) throws -> Bool {
        try db.fetchValue(
            Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM event_subscription WHERE type = ?)",
            arguments: [type.rawValue])
            ?? false
    }

    /// Queues a lifecycle event about a message, in the caller's transaction, if anyone
    /// subscribed to its type. The body is fixed now (`{"type", "timestamp", "data"}`), so every
    /// retry carries the same bytes and the same `webhook-id`.
    static func emit(
        _ db: any SQLConnection, _ type: LifecycleEventType, message id: String, detail: String?, at now: Double
    )
        throws
    {
        let d = db.dialect
        let data = d.jsonObject([
            ("message_id", "m.id"), ("contact_id", "m.contact_id"), ("kind", "m.contact_kind"), ("rule", "m.rule"),
            ("channel", "m.channel"), ("state", "m.state"),
            ("due_at", d.isoTimestamp("m.due_at", milliseconds: false)), ("attempts", "m.attempts"),
            ("detail", d.typed("?3", as: "text")),
        ])
        try db.executeCached(
            sql: """
                INSERT INTO lifecycle_event (event_id, type, body, created_at, next_attempt_at)
                SELECT ?5, ?1,
                    \(eventBody(d, data: data)),
                    ?2, ?2
                FROM message m
                WHERE m.id = ?4 AND EXISTS (SELECT 1 FROM event_subscription WHERE type = ?1)
                """,
            arguments: [type.rawValue, now, detail, id, newEventID()])
    }

    /// Queues `contact.suppressed`, if subscribed. The address is left out when it was erased.
    static func emitSuppressed(
        _ db: any SQLConnection, addressHash: String, address: String?, reason: String, source: String, at now: Double
    ) throws {
        let d = db.dialect
        let data = d.jsonObject([
            ("address", d.typed("?3", as: "text")), ("address_hash", d.typed("?4", as: "text")),
            ("reason", d.typed("?5", as: "text")), ("source", d.typed("?6", as: "text")),
        ])
        try db.execute(
            sql: """
                INSERT INTO lifecycle_event (event_id, type, body, created_at, next_attempt_at)
                SELECT ?7, ?1, \(eventBody(d, data: data)), ?2, ?2
                WHERE EXISTS (SELECT 1 FROM event_subscription WHERE type = ?1)
                """,
            arguments: [
                LifecycleEventType.contactSuppressed.rawValue, now, address, addressHash, reason, source, newEventID(),
            ])
    }

    /// `{"type": ?1, "timestamp": ?2 as ISO 8601, "data": …}`.
    private static func eventBody(_ d: SQLDialect, data: String) -> String {
        d.jsonAsText(
            d.jsonObject([
                ("type", d.typed("?1", as: "text")),
                ("timestamp", d.isoTimestamp(d.typed("?2", as: "double precision"), milliseconds: true)),
                ("data", data),
            ]))
    }

    /// A new event id, `evt_` and 24 random hex digits: the `webhook-id` of every delivery of it.
    static func newEventID() -> String {
        // 12 random bytes as hex; `String(format:)` per byte was 5% of a dispatch profile.
        var generator = SystemRandomNumberGenerator()
        let (high, low) = (generator.next() as UInt64, generator.next() as UInt32)
        return "evt_"
            + hexDigits(
                withUnsafeBytes(of: high.bigEndian, Array.init) + withUnsafeBytes(of: low.bigEndian, Array.init))
    }
}
