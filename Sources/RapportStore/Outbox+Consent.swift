import Crypto
import Foundation
import RapportCore

extension Outbox: ConsentStore {
    public func recordOptOut(_ optOut: OptOut) throws(StoreError) -> [String] {
        try write("recording the opt-out of \(optOut.contactID)") { db in
            let now = optOut.at.timeIntervalSince1970
            try db.execute(
                sql: """
                    INSERT INTO opt_out (contact_id, scope, at, source, actor, note) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (contact_id) DO UPDATE SET
                        scope = excluded.scope, at = excluded.at, source = excluded.source, actor = excluded.actor,
                        note = excluded.note
                    """,
                arguments: [optOut.contactID, optOut.scope, now, optOut.source, optOut.actor, optOut.note])
            try Self.log(
                db, at: now, actor: optOut.actor, action: "opt-out", id: nil, from: nil, to: nil,
                note: "\(optOut.scope) by \(optOut.source)" + (optOut.note.map { ": \($0)" } ?? ""),
                contactID: optOut.contactID)
            let reason = "contact opted out of \(optOut.scope) (\(optOut.source))"
            let open = try db.fetchAll(
                sql: """
                    SELECT id, state, contact_id FROM message
                    WHERE contact_id = ? AND rule LIKE 'campaign:%' AND state IN \(Self.openStates)
                    """,
                arguments: [optOut.contactID])
            return try Self.cancel(db, open, reason: reason, actor: optOut.actor, at: now)
        }
    }

    /// Cancels open messages (rows with `id`, `state`, `contact_id`) with the reason, one audit
    /// event each, inside the caller's transaction. Returns their ids.
    static func cancel(_ db: any SQLConnection, _ rows: [any StoreRow], reason: String, actor: String, at now: Double)
        throws -> [String]
    {
        for row in rows {
            let id: String = row["id"]
            try db.execute(
                sql: """
                    UPDATE message SET state = 'cancelled', reason = ?, closed_at = ?, closed_by = ?, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [reason, now, actor, now, id])
            try log(
                db, at: now, actor: actor, action: "cancel", id: id, from: MessageState(rawValue: row["state"]),
                to: .cancelled, note: reason, contactID: row["contact_id"])
        }
        return rows.map { $0["id"] }
    }

    public func clearOptOut(contactID: String, actor: String, at date: Date) throws(StoreError) -> Bool {
        try write("clearing the opt-out of \(contactID)") { db in
            try db.execute(sql: "DELETE FROM opt_out WHERE contact_id = ?", arguments: [contactID])
            guard try db.changesCount > 0 else { return false }
            try Self.log(
                db, at: date.timeIntervalSince1970, actor: actor, action: "opt-out-cleared", id: nil, from: nil,
                to: nil, note: "promotions allowed again if the data says marketing_opt_in", contactID: contactID)
            return true
        }
    }

    public func optOuts() throws(StoreError) -> [OptOut] {
        try read("reading opt-outs") { db in
            try db.fetchAll(sql: "SELECT * FROM opt_out ORDER BY at DESC, contact_id").map { row in
                OptOut(
                    contactID: row["contact_id"], scope: row["scope"], at: Self.date(row["at"]), source: row["source"],
                    actor: row["actor"], note: row["note"])
            }
        }
    }

    public func forget(contactID: String, address: String?, actor: String, at date: Date) throws(StoreError)
        -> ErasureReport
    {
        let pseudonym = Self.pseudonym(for: contactID)
        let report = try write("forgetting \(pseudonym)") { db in
            let now = date.timeIntervalSince1970
            let ids = try db.fetchValues(
                String.self, sql: "SELECT id FROM message WHERE contact_id = ?", arguments: [contactID])
            // Every address the person was written to (and the data's, if given) stays
            // suppressed as a hash only, so a later import does not bring them back.
            var addresses = Set(
                try db.fetchValues(
                    String.self,
                    sql: "SELECT DISTINCT lower(recipient_address) FROM message "
                        + "WHERE contact_id = ? AND recipient_address IS NOT NULL",
                    arguments: [contactID]))
            if let address, !address.isEmpty {
                addresses.insert(address.trimmingCharacters(in: .whitespaces).lowercased())
            }
            var report = ErasureReport(
                pseudonym: pseudonym, messages: ids.count, cancelled: 0, attempts: 0, events: 0, touchpoints: 0)
            // What was still to be sent is withdrawn first, with the usual audit trail.
            try db.execute(
                sql: """
                    UPDATE message SET state = 'cancelled', reason = 'contact erased', closed_at = ?, closed_by = ?,
                        updated_at = ?
                    WHERE contact_id = ? AND state IN \(Self.openStates)
                    """,
                arguments: [now, actor, now, contactID])
            report.cancelled = try db.changesCount
            // Every personal field of every message: names, addresses, bodies, the contact's
            // fields, server answers that may quote the address.
            try db.execute(
                sql: """
                    UPDATE message SET contact_id = ?, recipient_name = NULL, recipient_address = NULL,
                        reply_to = NULL, subject = '', body_text = '', body_html = NULL, contact_json = '{}',
                        unsubscribe_url = NULL, last_error = NULL, reason = 'erased', purged_at = ?, updated_at = ?
                    WHERE contact_id = ?
                    """,
                arguments: [pseudonym, now, now, contactID])
            for id in ids {
                try db.execute(sql: "UPDATE attempt SET detail = '(erased)' WHERE message_id = ?", arguments: [id])
                report.attempts += try db.changesCount
            }
            for address in addresses.sorted() {
                _ = try Self.suppress(
                    db, address: address, keepAddress: false, reason: "contact erased", source: "erasure",
                    actor: actor, at: now)
                try db.execute(
                    sql: "UPDATE suppression SET address = NULL WHERE address_hash = ?",
                    arguments: [SuppressedAddress.hash(address)])
            }
            // The audit trail is append-only but for erasure, which rewrites the notes of this
            // person's events (they may hold a name or an address) inside this transaction.
            for statement in db.dialect.liftAuditGuard { try db.execute(sql: statement) }
            try db.execute(
                sql: """
                    UPDATE event SET note = NULL, contact_id = ?
                    WHERE contact_id = ? OR message_id IN (SELECT id FROM message WHERE contact_id = ?)
                    """,
                arguments: [pseudonym, contactID, pseudonym])
            report.events = try db.changesCount
            // Notes elsewhere that quote an address (an operator's suppression, say) go too.
            for address in addresses.sorted() {
                try db.execute(
                    sql: "UPDATE event SET note = NULL WHERE \(db.dialect.contains("lower(note)", "?"))",
                    arguments: [address])
            }
            for statement in db.dialect.restoreAuditGuard { try db.execute(sql: statement) }
            try db.execute(sql: "DELETE FROM touchpoint WHERE contact_id = ?", arguments: [contactID])
            report.touchpoints = try db.changesCount
            try db.execute(sql: "DELETE FROM contact_kind WHERE contact_id = ?", arguments: [contactID])
            try db.execute(sql: "DELETE FROM opt_out WHERE contact_id = ?", arguments: [contactID])
            try Self.log(
                db, at: now, actor: actor, action: "forget", id: nil, from: nil, to: nil,
                note:
                    "personal data erased: \(report.messages) messages (\(report.cancelled) cancelled), "
                    + "\(report.attempts) attempts, \(report.events) events, \(report.touchpoints) touchpoints",
                contactID: pseudonym)
            return report
        }
        // Deleted and overwritten bytes must not linger: secure_delete zeroes freed cells, and
        // the write-ahead log, which still holds the old pages, is checkpointed and truncated.
        try checkpoint(truncate: true)
        // The record index of the last plan names the person's id too.
        try eraseRecordIndex()
        return report
    }

    public func purgeBodies(closedBefore date: Date, at now: Date) throws(StoreError) -> Int {
        try write("purging rendered bodies closed before \(date.formatted(.iso8601))") { db in
            try db.execute(
                sql: """
                    UPDATE message SET subject = '', body_text = '', body_html = NULL, purged_at = ?
                    WHERE state IN ('sent', 'failed', 'cancelled', 'skipped') AND purged_at IS NULL
                        AND COALESCE(sent_at, closed_at, updated_at) < ?
                    """,
                arguments: [now.timeIntervalSince1970, date.timeIntervalSince1970])
            let purged = try db.changesCount
            if purged > 0 {
                try Self.log(
                    db, at: now.timeIntervalSince1970, actor: "retention", action: "purge", id: nil, from: nil,
                    to: nil, note: "rendered bodies of \(purged) messages closed before \(date.formatted(.iso8601))")
            }
            return purged
        }
    }

    /// Checkpoints SQLite's write-ahead log into the database file; `truncate` empties the log
    /// file. PostgreSQL manages its own log: nothing to do.
    public func checkpoint(truncate: Bool) throws(StoreError) {
        guard let sqlite = driver as? SQLiteDriver else { return }
        do {
            try sqlite.checkpoint(truncate: truncate)
        } catch {
            throw StoreError(.query, "checkpointing \(location)", "\(error)")
        }
    }

    /// `erased-` and 16 hex digits of the SHA-256 of the contact id: stable, so a second
    /// `forget` of the same id finds nothing left, and not the id itself.
    public static func pseudonym(for contactID: String) -> String {
        "erased-" + hexDigits(SHA256.hash(data: Array(contactID.utf8)).prefix(8))
    }
}
