import Foundation
import GRDB
import RapportCore

#if canImport(Glibc)
    import Glibc
#endif

/// The outbox in one SQLite file (WAL mode), the embedded default.
///
/// Durability: `synchronous = FULL`, so a committed state change survives power loss, not just
/// a crash of the process. Readers (the CLI) never block the daemon, and writers wait for each
/// other up to the busy timeout instead of failing with "database is locked".
public final class SQLiteOutbox: OutboxStore {
    /// The connection pool; exposed to tests in this package.
    package let pool: DatabasePool
    public let path: String
    /// The store file's device and inode when opened: ``checkReachable()`` notices a file that
    /// was moved, deleted or replaced under the daemon.
    private let identity: FileIdentity?

    /// Opens (creating if needed, mode 0600) and migrates the store at `path`.
    public init(path: String, busyTimeout: TimeInterval = 10) throws(StoreError) {
        self.path = path
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // Deleted and overwritten content is zeroed, so erased personal data does not
                // linger in free pages of the file.
                try db.execute(sql: "PRAGMA secure_delete = ON")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            identity = FileIdentity(path: path)
        } catch {
            throw StoreError(.open, "opening \(path)", "\(error)")
        }
        let migrator = OutboxMigrations.migrator
        do {
            let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                throw StoreError(
                    .newerSchema, "opening \(path)",
                    "the store was written by a newer version of Rapport; upgrade Rapport")
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.open, "migrating \(path)", "\(error)")
        }
    }

    // MARK: - Planning

    public func planningState() throws(StoreError) -> PlanningState {
        try read("reading the outbox for planning") { db in
            var entries: [HistoryEntry] = []
            var hashes: [String: String] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, contact_id, rule, occurrence, state, due_at, sent_at, closed_at, closed_by, source_hash,
                        (state = 'skipped' AND reason LIKE 'stale%') AS stale
                    FROM message
                    """)
            while let row = try rows.next() {
                guard let rule = RuleID(parsing: row["rule"]), let state = MessageState(rawValue: row["state"]) else {
                    continue
                }
                let key = MessageKey(contactID: row["contact_id"], rule: rule, occurrence: row["occurrence"])
                let closedBy: String? = row["closed_by"]
                entries.append(
                    HistoryEntry(
                        key: key, state: state, dueAt: Self.date(row["due_at"]),
                        sentAt: Self.optionalDate(row["sent_at"]),
                        closedAt: Self.optionalDate(row["closed_at"]),
                        closedByOperator: closedBy != nil && closedBy != "planner" && closedBy != "dispatcher",
                        skippedAsStale: row["stale"]))
                if state.isOpen {
                    hashes[row["id"]] = row["source_hash"]
                }
            }
            var touchpoints: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT contact_id, MAX(at) AS at FROM touchpoint GROUP BY contact_id")
            {
                touchpoints[row["contact_id"]] = Self.date(row["at"])
            }
            let optedOut = Set(try String.fetchAll(db, sql: "SELECT contact_id FROM opt_out"))
            let suppressed = Set(try String.fetchAll(db, sql: "SELECT address_hash FROM suppression"))
            return PlanningState(
                history: History(entries, touchpoints: touchpoints, optedOut: optedOut, suppressed: suppressed),
                sourceHashes: hashes)
        }
    }

    @discardableResult
    public func apply(_ changes: OutboxChanges, actor: String, at date: Date) throws(StoreError) -> ApplySummary {
        try write("applying a plan") { db in
            var summary = ApplySummary()
            let now = date.timeIntervalSince1970
            let announce = try Self.isSubscribed(db, .messageScheduled)
            for new in changes.insertions {
                let planned = new.planned
                let content = new.content
                try db.executeCached(
                    sql: """
                        INSERT INTO message (
                            id, contact_id, rule, occurrence, contact_kind, channel, template, state, due_at,
                            sender, recipient_name, recipient_address, reply_to, subject, body_text, body_html,
                            contact_json, source_hash, reason, requires_approval, created_at, updated_at, closed_at,
                            closed_by, max_lateness, unsubscribe_url)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT DO NOTHING
                        """,
                    arguments: [
                        planned.id, planned.key.contactID, planned.rule.description, planned.key.occurrence,
                        planned.contact.kind.rawValue, planned.channel.rawValue, planned.template,
                        planned.state.rawValue, planned.dueAt.timeIntervalSince1970, content.sender,
                        content.recipientName, content.recipientAddress, content.replyTo, content.subject,
                        content.text, content.html, content.contactJSON, content.sourceHash, planned.reason,
                        new.requiresApproval, now, now, planned.state.isFinal ? now : nil,
                        planned.state.isFinal ? actor : nil, new.maxLateness, content.unsubscribeURL,
                    ])
                // Another planner (the CLI, a second daemon) may have stored the same key first.
                guard db.changesCount > 0 else { continue }
                try Self.log(
                    db, at: now, actor: actor, action: "plan", id: planned.id, from: nil, to: planned.state,
                    note: planned.reason)
                if announce, !planned.state.isFinal {
                    try Self.emit(db, .messageScheduled, message: planned.id, detail: planned.reason, at: now)
                }
                summary.inserted += 1
            }
            for retiming in changes.retimings {
                try db.execute(
                    sql:
                        "UPDATE message SET due_at = ?, reason = ?, updated_at = ? WHERE id = ? AND state IN \(Self.openStates)",
                    arguments: [retiming.dueAt.timeIntervalSince1970, retiming.reason, now, retiming.id])
                if db.changesCount > 0 {
                    try Self.log(
                        db, at: now, actor: actor, action: "retime", id: retiming.id, from: nil, to: nil,
                        note: "due \(retiming.dueAt.formatted(.iso8601)): \(retiming.reason)")
                    summary.retimed += 1
                }
            }
            for cancellation in changes.cancellations {
                let from = try String.fetchOne(
                    db, sql: "SELECT state FROM message WHERE id = ?", arguments: [cancellation.id])
                try db.execute(
                    sql: """
                        UPDATE message SET state = 'cancelled', reason = ?, closed_at = ?, closed_by = ?, updated_at = ?
                        WHERE id = ? AND state IN \(Self.openStates)
                        """,
                    arguments: [cancellation.reason, now, actor, now, cancellation.id])
                if db.changesCount > 0 {
                    try Self.log(
                        db, at: now, actor: actor, action: "cancel", id: cancellation.id,
                        from: from.flatMap(MessageState.init(rawValue:)), to: .cancelled, note: cancellation.reason)
                    summary.cancelled += 1
                }
            }
            for skip in changes.skips {
                let from = try String.fetchOne(db, sql: "SELECT state FROM message WHERE id = ?", arguments: [skip.id])
                try db.execute(
                    sql: """
                        UPDATE message SET state = 'skipped', reason = ?, closed_at = ?, closed_by = ?, updated_at = ?
                        WHERE id = ? AND state IN \(Self.openStates)
                        """,
                    arguments: [skip.reason, now, actor, now, skip.id])
                if db.changesCount > 0 {
                    try Self.log(
                        db, at: now, actor: actor, action: "skip", id: skip.id,
                        from: from.flatMap(MessageState.init(rawValue:)), to: .skipped, note: skip.reason)
                    summary.skipped += 1
                }
            }
            for refresh in changes.refreshes {
                let content = refresh.content
                // Approval covers the content that was approved: new content needs a new look.
                try db.execute(
                    sql: """
                        UPDATE message SET
                            sender = ?, recipient_name = ?, recipient_address = ?, reply_to = ?, subject = ?,
                            body_text = ?, body_html = ?, contact_json = ?, source_hash = ?, updated_at = ?,
                            unsubscribe_url = ?,
                            state = CASE WHEN requires_approval AND state = 'scheduled' THEN 'pending_approval' ELSE state END,
                            approved_at = CASE WHEN requires_approval THEN NULL ELSE approved_at END,
                            approved_by = CASE WHEN requires_approval THEN NULL ELSE approved_by END
                        WHERE id = ? AND state IN \(Self.openStates)
                        """,
                    arguments: [
                        content.sender, content.recipientName, content.recipientAddress, content.replyTo,
                        content.subject,
                        content.text, content.html, content.contactJSON, content.sourceHash, now,
                        content.unsubscribeURL, refresh.id,
                    ])
                if db.changesCount > 0 {
                    try Self.log(
                        db, at: now, actor: actor, action: "refresh", id: refresh.id, from: nil, to: nil,
                        note: "content rendered again from changed data")
                    summary.refreshed += 1
                }
            }
            return summary
        }
    }

    // MARK: - Dispatch

    public func claimDue(now: Date, limit: Int, owner: String, leaseSeconds: Double, channel: Channel?)
        throws(StoreError) -> [StoredMessage]
    {
        try write("claiming due messages") { db in
            let t = now.timeIntervalSince1970
            return try Row.fetchAll(
                db,
                sql: """
                    UPDATE message SET state = 'sending', lease_owner = ?, lease_expires_at = ?,
                        attempts = attempts + 1, updated_at = ?
                    WHERE id IN (
                        SELECT id FROM message
                        WHERE (((state = 'scheduled' AND due_at <= ?)
                                OR (state = 'retry_wait' AND next_attempt_at <= ?))
                               AND (max_lateness IS NULL OR due_at + max_lateness >= ?)
                              OR (state = 'sending' AND lease_expires_at <= ?))
                          AND (? IS NULL OR channel = ?)
                        ORDER BY due_at, id
                        LIMIT ?)
                    RETURNING *
                    """,
                arguments: [
                    owner, t + leaseSeconds, t, t, t, t, t, channel?.rawValue, channel?.rawValue, limit,
                ]
            ).map(Self.message(from:)).sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
        }
    }

    public func record(_ outcomes: [RecordedOutcome]) throws(StoreError) {
        guard !outcomes.isEmpty else { return }
        try write(outcomes.count == 1 ? "recording a delivery of \(outcomes[0].id)" : "recording deliveries") { db in
            for outcome in outcomes { try Self.record(db, outcome) }
        }
    }

    /// The body of ``record(_:)`` for one outcome, inside the caller's transaction.
    private static func record(_ db: Database, _ recorded: RecordedOutcome) throws {
        let (outcome, id, owner) = (recorded.outcome, recorded.id, recorded.owner)
        let (transport, startedAt, latency, date) = (
            recorded.transport, recorded.startedAt, recorded.latency, recorded.at
        )
        let now = date.timeIntervalSince1970
        let milliseconds = Int(
            latency.components.seconds * 1000 + latency.components.attoseconds / 1_000_000_000_000_000)
        let outcomeName: String
        let detail: String
        /// Ends this daemon's lease with the given assignments; true when the lease was still ours.
        func settle(_ assignments: String, _ values: StatementArguments) throws -> Bool {
            try db.executeCached(
                sql: """
                    UPDATE message SET \(assignments), lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                    WHERE id = ? AND state = 'sending' AND lease_owner = ?
                    """,
                arguments: values + [now, id, owner])
            return db.changesCount > 0
        }
        let applied: Bool
        switch outcome {
        case .delivered(let text):
            outcomeName = "delivered"
            detail = text
            applied = try settle("state = 'sent', sent_at = ?, last_error = NULL, next_attempt_at = NULL", [now])
            if applied { try Self.emit(db, .messageSent, message: id, detail: text, at: now) }
        case .retry(let text, let retryAt):
            outcomeName = "transient"
            detail = text
            applied = try settle(
                "state = 'retry_wait', next_attempt_at = ?, last_error = ?", [retryAt.timeIntervalSince1970, text])
        case .failed(let text):
            outcomeName = "permanent"
            detail = text
            applied = try settle(
                "state = 'failed', last_error = ?, closed_at = ?, closed_by = 'dispatcher'", [text, now])
            if applied { try Self.emit(db, .messageFailed, message: id, detail: text, at: now) }
        case .endpointGone(let text):
            outcomeName = "permanent"
            detail = text
            applied = try settle("state = 'held', last_error = ?", [text])
            let reason = "endpoint gone: \(text); held until an operator releases it"
            if applied {
                try Self.log(
                    db, at: now, actor: "dispatcher", action: "hold", id: id, from: .sending, to: .held,
                    note: reason)
                try Self.emit(db, .messageHeld, message: id, detail: reason, at: now)
            }
            let others = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, state FROM message
                    WHERE channel = (SELECT channel FROM message WHERE id = ?) AND state IN ('scheduled', 'retry_wait')
                    """,
                arguments: [id])
            for row in others {
                let other: String = row["id"]
                try db.execute(
                    sql: "UPDATE message SET state = 'held', last_error = ?, updated_at = ? WHERE id = ?",
                    arguments: [text, now, other])
                try Self.log(
                    db, at: now, actor: "dispatcher", action: "hold", id: other,
                    from: MessageState(rawValue: row["state"]), to: .held, note: reason)
                try Self.emit(db, .messageHeld, message: other, detail: reason, at: now)
            }
        }
        try db.executeCached(
            sql: """
                INSERT INTO attempt (message_id, started_at, transport, outcome, detail, latency_ms)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [id, startedAt.timeIntervalSince1970, transport, outcomeName, detail, milliseconds])
        if !applied {
            // The lease was lost (expired and taken over); the attempt is on record, the state
            // belongs to whoever holds the message now.
            try Self.log(
                db, at: now, actor: "dispatcher", action: "late-result", id: id, from: nil, to: nil,
                note: "lease lost before the outcome (\(outcomeName)) was recorded")
        }
    }

    public func returnUnstarted(_ ids: [String], owner: String, at date: Date) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write("returning unstarted messages") { db in
            for id in ids {
                try db.execute(
                    sql: """
                        UPDATE message SET state = CASE WHEN next_attempt_at IS NULL THEN 'scheduled' ELSE 'retry_wait' END,
                            attempts = max(0, attempts - 1), lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                        WHERE id = ? AND state = 'sending' AND lease_owner = ?
                        """,
                    arguments: [date.timeIntervalSince1970, id, owner])
            }
        }
    }

    @discardableResult
    public func releaseLeases(owner: String?, at date: Date) throws(StoreError) -> Int {
        try write("releasing leases") { db in
            let now = date.timeIntervalSince1970
            let ids = try String.fetchAll(
                db, sql: "SELECT id FROM message WHERE state = 'sending' AND (? IS NULL OR lease_owner = ?)",
                arguments: [owner, owner])
            for id in ids {
                try db.execute(
                    sql: """
                        UPDATE message SET state = 'retry_wait', next_attempt_at = ?, lease_owner = NULL,
                            lease_expires_at = NULL, last_error = 'interrupted: the daemon stopped during the send',
                            updated_at = ?
                        WHERE id = ?
                        """,
                    arguments: [now, now, id])
                try Self.log(
                    db, at: now, actor: "dispatcher", action: "release-lease", id: id, from: .sending, to: .retryWait,
                    note: "an interrupted send is retried with the same id")
            }
            return ids.count
        }
    }

    // MARK: - Reading

    public func messages(matching filter: MessageFilter) throws(StoreError) -> [StoredMessage] {
        try read("listing messages") { db in
            var clauses: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if !filter.states.isEmpty {
                clauses.append("state IN (\(filter.states.map { _ in "?" }.joined(separator: ", ")))")
                arguments += filter.states.map(\.rawValue).sorted()
            }
            if let kind = filter.kind {
                clauses.append("contact_kind = ?")
                arguments.append(kind.rawValue)
            }
            if let contactID = filter.contactID {
                clauses.append("contact_id = ?")
                arguments.append(contactID)
            }
            if let channel = filter.channel {
                clauses.append("channel = ?")
                arguments.append(channel.rawValue)
            }
            if let ruleKind = filter.ruleKind {
                switch ruleKind {
                case .checkin: clauses.append("rule = 'checkin'")
                case .progress: clauses.append("rule LIKE 'progress:%'")
                case .promotion: clauses.append("rule LIKE 'campaign:%'")
                }
            }
            if let rule = filter.rule {
                clauses.append("rule = ?")
                arguments.append(rule.description)
            }
            if let manager = filter.accountManager {
                clauses.append("json_extract(contact_json, '$.account_manager.name') = ? COLLATE NOCASE")
                arguments.append(manager)
            }
            if let after = filter.dueAfter {
                clauses.append("due_at >= ?")
                arguments.append(after.timeIntervalSince1970)
            }
            if let before = filter.dueBefore {
                clauses.append("due_at < ?")
                arguments.append(before.timeIntervalSince1970)
            }
            var sql = "SELECT * FROM message"
            if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
            sql += " ORDER BY due_at, id"
            if let limit = filter.limit { sql += " LIMIT \(limit)" }
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(Self.message(from:))
        }
    }

    public func message(id: String) throws(StoreError) -> StoredMessage? {
        try read("reading message \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM message WHERE id = ?", arguments: [id]).map(Self.message(from:))
        }
    }

    public func ids(startingWith prefix: String, limit: Int) throws(StoreError) -> [String] {
        try read("looking up ids") { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM message WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                arguments: [prefix, prefix + "\u{10FFFF}", limit])
        }
    }

    public func attempts(messageID: String) throws(StoreError) -> [DeliveryAttempt] {
        try read("reading attempts of \(messageID)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM attempt WHERE message_id = ? ORDER BY id", arguments: [messageID]
            ).map { row in
                DeliveryAttempt(
                    messageID: row["message_id"], startedAt: Self.date(row["started_at"]), transport: row["transport"],
                    outcome: row["outcome"], detail: row["detail"], latencyMilliseconds: row["latency_ms"])
            }
        }
    }

    public func countsByState() throws(StoreError) -> [MessageState: Int] {
        try read("counting messages") { db in
            var counts: [MessageState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM message GROUP BY state") {
                if let state = MessageState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    public func messageCounts(dueBy date: Date) throws(StoreError) -> [MessageCount] {
        try read("counting messages by state, kind and channel") { db in
            let t = date.timeIntervalSince1970
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT state, contact_kind, channel, COUNT(*) AS n,
                        SUM(CASE WHEN (state = 'scheduled' AND due_at <= ?)
                                   OR (state = 'retry_wait' AND next_attempt_at <= ?) THEN 1 ELSE 0 END) AS due
                    FROM message GROUP BY state, contact_kind, channel
                    """,
                arguments: [t, t]
            ).compactMap { row in
                guard let state = MessageState(rawValue: row["state"]),
                    let kind = ContactKind(rawValue: row["contact_kind"]),
                    let channel = Channel(rawValue: row["channel"])
                else { return nil }
                return MessageCount(state: state, kind: kind, channel: channel, count: row["n"], due: row["due"])
            }
        }
    }

    public func checkReachable() throws(StoreError) {
        let current = FileIdentity(path: path)
        guard let current, current == identity else {
            throw StoreError(
                .unreachable, "checking \(path)",
                current == nil ? "the file is gone" : "the file was replaced since the daemon opened it")
        }
        _ = try read("checking the store") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") }
    }

    // MARK: - Touchpoints

    public func recordTouchpoint(_ touchpoint: Touchpoint) throws(StoreError) {
        try write("recording a touchpoint with \(touchpoint.contactID)") { db in
            try db.execute(
                sql: "INSERT INTO touchpoint (contact_id, at, note, actor, recorded_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    touchpoint.contactID, touchpoint.at.timeIntervalSince1970, touchpoint.note, touchpoint.actor,
                    touchpoint.recordedAt.timeIntervalSince1970,
                ])
            try Self.log(
                db, at: touchpoint.recordedAt.timeIntervalSince1970, actor: touchpoint.actor, action: "touch", id: nil,
                from: nil, to: nil,
                note: "\(touchpoint.contactID) at \(touchpoint.at.formatted(.iso8601))"
                    + (touchpoint.note.map { ": \($0)" } ?? ""), contactID: touchpoint.contactID)
        }
    }

    public func touchpoints(contactID: String) throws(StoreError) -> [Touchpoint] {
        try read("reading touchpoints of \(contactID)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM touchpoint WHERE contact_id = ? ORDER BY at DESC, id DESC",
                arguments: [contactID]
            ).map { row in
                Touchpoint(
                    contactID: row["contact_id"], at: Self.date(row["at"]), note: row["note"], actor: row["actor"],
                    recordedAt: Self.date(row["recorded_at"]))
            }
        }
    }

    // MARK: - Helpers

    static let openStates = "('pending_approval', 'scheduled', 'held', 'retry_wait')"

    static func log(
        _ db: Database, at: Double, actor: String, action: String, id: String?, from: MessageState?, to: MessageState?,
        note: String?, contactID: String? = nil
    ) throws {
        try db.executeCached(
            sql: """
                INSERT INTO event (at, actor, action, message_id, from_state, to_state, note, contact_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, (SELECT contact_id FROM message WHERE id = ?)))
                """,
            arguments: [at, actor, action, id, from?.rawValue, to?.rawValue, note, contactID, id])
    }

    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
    static func optionalDate(_ seconds: Double?) -> Date? { seconds.map(Date.init(timeIntervalSince1970:)) }

    static func message(from row: Row) -> StoredMessage {
        let rule = RuleID(parsing: row["rule"]) ?? .checkin
        return StoredMessage(
            id: row["id"],
            key: MessageKey(contactID: row["contact_id"], rule: rule, occurrence: row["occurrence"]),
            contactKind: ContactKind(rawValue: row["contact_kind"]) ?? .client,
            channel: Channel(rawValue: row["channel"]) ?? .email,
            template: row["template"],
            state: MessageState(rawValue: row["state"]) ?? .failed,
            dueAt: date(row["due_at"]),
            nextAttemptAt: optionalDate(row["next_attempt_at"]),
            content: MessageContent(
                sender: row["sender"], recipientName: row["recipient_name"], recipientAddress: row["recipient_address"],
                replyTo: row["reply_to"], subject: row["subject"], text: row["body_text"], html: row["body_html"],
                contactJSON: row["contact_json"], sourceHash: row["source_hash"],
                unsubscribeURL: row["unsubscribe_url"]),
            reason: row["reason"],
            requiresApproval: row["requires_approval"],
            approvedAt: optionalDate(row["approved_at"]),
            approvedBy: row["approved_by"],
            attempts: row["attempts"],
            lastError: row["last_error"],
            leaseOwner: row["lease_owner"],
            leaseExpiresAt: optionalDate(row["lease_expires_at"]),
            createdAt: date(row["created_at"]),
            updatedAt: date(row["updated_at"]),
            sentAt: optionalDate(row["sent_at"]),
            closedAt: optionalDate(row["closed_at"]),
            closedBy: row["closed_by"])
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw StoreError(.query, operation, "\(error)")
        }
    }

    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.write(body)
        } catch let error as DatabaseError
            where [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR].contains(error.resultCode)
        {
            let why =
                error.resultCode == .SQLITE_FULL
                ? "the disk is full" : error.resultCode == .SQLITE_READONLY ? "the store is read-only" : "I/O error"
            throw StoreError(.unwritable, operation, "\(why) (\(error.message ?? "\(error)"))")
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.query, operation, "\(error)")
        }
    }
}

/// A file's device and inode.
struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

extension SQLiteOutbox {
    /// Makes every later write fail with `SQLITE_READONLY` (or work again), as a read-only file
    /// system would: for the tests of this package, which cannot make a file read-only for root.
    package func simulateReadOnly(_ readOnly: Bool) throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = \(readOnly ? 1 : 0)") }
    }
}

extension Database {
    /// Runs one statement compiled once per connection: for the statements of the hot paths
    /// (storing a plan, recording an outcome, the audit trail), where compiling and authorising
    /// the SQL again for every message cost more than running it.
    func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
