import Foundation
import RapportCore

extension Outbox: SuppressionStore {
    public func suppress(
        address: String, keepAddress: Bool, reason: String, source: String, actor: String, at date: Date
    ) throws(StoreError) -> [String] {
        try write("suppressing an address") { db in
            try Self.suppress(
                db, address: address, keepAddress: keepAddress, reason: reason, source: source, actor: actor,
                at: date.timeIntervalSince1970)
        }
    }

    /// The body of ``suppress(address:keepAddress:reason:source:actor:at:)``, for use inside
    /// another write (erasure, a delivery outcome).
    static func suppress(
        _ db: any SQLConnection, address: String, keepAddress: Bool, reason: String, source: String, actor: String,
        at now: Double
    ) throws -> [String] {
        let hash = SuppressedAddress.hash(address)
        let stored = keepAddress ? address.trimmingCharacters(in: .whitespaces) : nil
        try db.execute(
            sql: """
                INSERT INTO suppression (address_hash, address, reason, source, created_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (address_hash) DO UPDATE SET
                    address = coalesce(excluded.address, suppression.address), reason = excluded.reason, source = excluded.source
                """,
            arguments: [hash, stored, reason, source, now, actor])
        try emitSuppressed(db, addressHash: hash, address: stored, reason: reason, source: source, at: now)
        let cancelReason = "address suppressed (\(source)): \(reason)"
        let open = try db.fetchAll(
            sql: """
                SELECT id, state, contact_id FROM message
                WHERE \(db.dialect.equalsIgnoringCase("recipient_address", "?")) AND recipient_address IS NOT NULL
                    AND channel = 'email' AND state IN \(openStates)
                """,
            arguments: [address.trimmingCharacters(in: .whitespaces)])
        let cancelled = try cancel(db, open, reason: cancelReason, actor: actor, at: now)
        try log(
            db, at: now, actor: actor, action: "suppress", id: nil, from: nil, to: nil,
            note: "\(keepAddress ? address : "an erased address") (\(source)): \(reason)")
        return cancelled
    }

    public func unsuppress(address: String, actor: String, at date: Date) throws(StoreError) -> Bool {
        try write("clearing a suppression") { db in
            try db.execute(
                sql: "DELETE FROM suppression WHERE address_hash = ?", arguments: [SuppressedAddress.hash(address)])
            guard try db.changesCount > 0 else { return false }
            try Self.log(
                db, at: date.timeIntervalSince1970, actor: actor, action: "unsuppress", id: nil, from: nil, to: nil,
                note: "\(address): messages may be planned to it again")
            return true
        }
    }

    public func suppressions() throws(StoreError) -> [Suppression] {
        try read("reading the suppression list") { db in
            try db.fetchAll(sql: "SELECT * FROM suppression ORDER BY created_at DESC, address_hash").map { row in
                Suppression(
                    addressHash: row["address_hash"], address: row["address"], reason: row["reason"],
                    source: row["source"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                    createdBy: row["created_by"])
            }
        }
    }
}
