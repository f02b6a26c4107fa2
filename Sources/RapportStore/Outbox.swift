import Foundation
import RapportCore

#if canImport(Glibc)
    import Glibc
#endif

/// The outbox: the durable home of every message, on SQLite (embedded, the default) or on
/// PostgreSQL (several daemons sharing one database). The SQL is written once; the
/// ``StoreDriver`` runs it and ``SQLDialect`` spells the few parts that differ.
public final class Outbox: OutboxStore {
    let driver: any StoreDriver

    /// Where the store is: a file path, or a PostgreSQL URL without its password.
    public var location: String { driver.location }

    /// Whether this is the embedded SQLite store (one daemon, a lock file beside it).
    public var isEmbedded: Bool { driver.dialect == .sqlite }

    /// Opens (creating if needed, mode 0600) and migrates the SQLite store at `path`.
    public init(sqlitePath path: String, busyTimeout: TimeInterval = 10) throws(StoreError) {
        driver = try SQLiteDriver(path: path, busyTimeout: busyTimeout)
    }

    /// Connects to the PostgreSQL database `url` names
    /// (`postgres://user:password@host:port/database`) and migrates it; several daemons may
    /// share it. A server that cannot be reached is retried for `reconnectFor` before failing.
    public init(postgresURL url: String, maxConnections: Int = 8, reconnectFor: Duration = .seconds(10))
        throws(StoreError)
    {
        driver = try PostgresDriver(url: url, maxConnections: maxConnections, reconnectFor: reconnectFor)
    }

    /// Opens the store `location` names: a `postgres://` URL, or else a SQLite file path.
    public convenience init(location: String) throws(StoreError) {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            try self.init(postgresURL: location)
        } else {
            try self.init(sqlitePath: location)
        }
    }

    /// Why `url` cannot name a PostgreSQL store (its form, an unknown `sslmode`), or `nil`
    /// when it can: for checking a configuration before anything connects.
    public static func problem(withPostgresURL url: String) -> String? {
        do {
            _ = try PostgresAddress(parsing: url)
            return nil
        } catch {
            return error.description
        }
    }

    init(driver: any StoreDriver) {
        self.driver = driver
    }

    // MARK: - Planning

    public func planningState() throws(StoreError) -> PlanningState {
        try planningState(of: nil)
    }

    /// The outbox as the planner needs it, for `contacts` only (and every one when `nil`).
    public func planningState(of contacts: [String]?) throws(StoreError) -> PlanningState {
        try read("reading the outbox for planning") { db in
            var byContact: [String: [HistoryEntry]] = [:]
            var hashes = ByMessageID<CompactDigest>()
            var unrenderedDue = ByMessageID<Date>()
            let columns = """
                SELECT id, contact_id, rule, occurrence, state, due_at, sent_at, closed_at, closed_by, source_hash,
                    (state = 'skipped' AND reason LIKE 'stale%') AS stale, due_set_by
                FROM message
                """
            // A few hundred contacts a query, by the contact index.
            let queries: [(String, [any StoreBindable])] =
                contacts.map { ids in
                    Self.inLists(ids).map { (columns + " WHERE contact_id IN (\($0.marks))", $0.arguments) }
                } ?? [(columns, [])]
            for (sql, arguments) in queries {
                try db.forEachRow(sql: sql, arguments: arguments) { row in
                    guard let rule = RuleID(parsing: row["rule"]), let state = MessageState(rawValue: row["state"])
                    else {
                        return
                    }
                    let key = MessageKey(contactID: row["contact_id"], rule: rule, occurrence: row["occurrence"])
                    let closedBy: String? = row["closed_by"]
                    byContact[key.contactID, default: []].append(
                        HistoryEntry(
                            id: row["id"], key: key, state: state, dueAt: Self.date(row["due_at"]),
                            sentAt: Self.optionalDate(row["sent_at"]),
                            closedAt: Self.optionalDate(row["closed_at"]),
                            closedByOperator: closedBy != nil && closedBy != "planner" && closedBy != "dispatcher",
                            skippedAsStale: row["stale"], dueSetByOperator: (row["due_set_by"] as String?) != nil))
                    if state.isOpen {
                        let hash: String = row["source_hash"]
                        if hash.isEmpty {
                            unrenderedDue[row["id"]] = Self.date(row["due_at"])
                        } else {
                            hashes[row["id"]] = CompactDigest(hash)
                        }
                    }
                }
            }
            var touchpoints: [String: Date] = [:]
            for row in try db.fetchAll(sql: "SELECT contact_id, MAX(at) AS at FROM touchpoint GROUP BY contact_id") {
                touchpoints[row["contact_id"]] = Self.date(row["at"])
            }
            let optedOut = Set(try db.fetchValues(String.self, sql: "SELECT contact_id FROM opt_out"))
            let suppressed = Set(try db.fetchValues(String.self, sql: "SELECT address_hash FROM suppression"))
            return PlanningState(
                history: History(
                    grouped: byContact, touchpoints: touchpoints, optedOut: optedOut, suppressed: suppressed),
                sourceHashes: hashes, unrenderedDue: unrenderedDue)
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
                guard try db.changesCount > 0 else { continue }
                try Self.log(
                    db, at: now, actor: actor, action: "plan", id: planned.id, from: nil, to: planned.state,
                    note: planned.reason, contactID: planned.key.contactID)
                if announce, !planned.state.isFinal {
                    try Self.emit(db, .messageScheduled, message: planned.id, detail: planned.reason, at: now)
                }
                summary.inserted += 1
            }
            for retiming in changes.retimings {
                try db.executeCached(
                    sql:
                        "UPDATE message SET due_at = ?, reason = ?, updated_at = ? WHERE id = ? AND state IN \(Self.openStates)",
                    arguments: [retiming.dueAt.timeIntervalSince1970, retiming.reason, now, retiming.id])
                if try db.changesCount > 0 {
                    try Self.log(
                        db, at: now, actor: actor, action: "retime", id: retiming.id, from: nil, to: nil,
                        note: "due \(retiming.dueAt.formatted(.iso8601)): \(retiming.reason)")
                    summary.retimed += 1
                }
            }
            /// Closes an open message as `state` for the planner; true when it was still open.
            func close(_ id: String, as state: MessageState, action: String, reason: String) throws -> Bool {
                let from = try db.fetchValue(
                    String.self, sql: "SELECT state FROM message WHERE id = ?", arguments: [id])
                try db.executeCached(
                    sql: """
                        UPDATE message SET state = ?, reason = ?, closed_at = ?, closed_by = ?, updated_at = ?
                        WHERE id = ? AND state IN \(Self.openStates)
                        """,
                    arguments: [state.rawValue, reason, now, actor, now, id])
                guard try db.changesCount > 0 else { return false }
                try Self.log(
                    db, at: now, actor: actor, action: action, id: id, from: from.flatMap(MessageState.init(rawValue:)),
                    to: state, note: reason)
                return true
            }
            for cancellation in changes.cancellations
            where try close(cancellation.id, as: .cancelled, action: "cancel", reason: cancellation.reason) {
                summary.cancelled += 1
            }
            for skip in changes.skips where try close(skip.id, as: .skipped, action: "skip", reason: skip.reason) {
                summary.skipped += 1
            }
            /// Writes rendered content into an open message; `condition` narrows which.
            /// - Returns: whether a row changed.
            ///
            /// An indexed column costs an index write whenever an UPDATE assigns it, even to the
            /// value it has; so the recipient is assigned only when it differs.
            func write(_ content: MessageContent, to id: String, where condition: String = "") throws -> Bool {
                try db.executeCached(
                    sql: """
                        UPDATE message SET
                            sender = ?, recipient_name = ?, reply_to = ?, subject = ?, body_text = ?,
                            body_html = ?, contact_json = ?, source_hash = ?, updated_at = ?, unsubscribe_url = ?
                        WHERE id = ? AND state IN \(Self.openStates)\(condition)
                        """,
                    arguments: [
                        content.sender, content.recipientName, content.replyTo, content.subject, content.text,
                        content.html, content.contactJSON, content.sourceHash, now, content.unsubscribeURL, id,
                    ])
                guard try db.changesCount > 0 else { return false }
                try db.executeCached(
                    sql:
                        "UPDATE message SET recipient_address = ? WHERE id = ? AND recipient_address IS DISTINCT FROM ?",
                    arguments: [content.recipientAddress, id, content.recipientAddress])
                return true
            }
            for refresh in changes.refreshes where try write(refresh.content, to: refresh.id) {
                // Approval covers the content that was approved: new content needs a new look.
                try db.executeCached(
                    sql: """
                        UPDATE message SET
                            state = CASE WHEN state = 'scheduled' THEN 'pending_approval' ELSE state END,
                            approved_at = NULL, approved_by = NULL
                        WHERE id = ? AND requires_approval <> 0
                        """,
                    arguments: [refresh.id])
                try Self.log(
                    db, at: now, actor: actor, action: "refresh", id: refresh.id, from: nil, to: nil,
                    note: "content rendered again from changed data")
                summary.refreshed += 1
            }
            // Content for messages stored unrendered; not an edit of anything reviewed, so no
            // audit entry (the plan that stored each has one).
            for render in changes.renders where try write(render.content, to: render.id, where: " AND source_hash = ''")
            {
                summary.rendered += 1
            }
            return summary
        }
    }

    // MARK: - Dispatch

    public func claimDue(now: Date, limit: Int, owner: String, leaseSeconds: Double, channel: Channel?)
        throws(StoreError) -> [StoredMessage]
    {
        try write("claiming due messages", isolation: .conditional) { db in
            let t = now.timeIntervalSince1970
            return try db.fetchAll(
                sql: """
                    UPDATE message SET state = 'sending', lease_owner = ?, lease_expires_at = ?,
                        attempts = attempts + 1, updated_at = ?
                    WHERE id IN (
                        SELECT id FROM message
                        WHERE (((state = 'scheduled' AND due_at <= ?)
                                OR (state = 'retry_wait' AND next_attempt_at <= ?))
                               AND (max_lateness IS NULL OR due_at + max_lateness >= ?)
                               AND source_hash <> ''
                              OR (state = 'sending' AND lease_expires_at <= ?))
                          \(channel == nil ? "" : "AND channel = ?")
                        ORDER BY due_at, id
                        LIMIT ? \(db.dialect.skipLockedRows))
                    RETURNING *
                    """,
                arguments: [owner, t + leaseSeconds, t, t, t, t, t] + (channel.map { [$0.rawValue] } ?? []) + [limit]
            ).map(Self.message(from:)).sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
        }
    }

    public func record(_ outcomes: [RecordedOutcome]) throws(StoreError) {
        guard !outcomes.isEmpty else { return }
        try write(
            outcomes.count == 1 ? "recording a delivery of \(outcomes[0].id)" : "recording deliveries",
            isolation: .conditional
        ) { db in
            for outcome in outcomes { try Self.record(db, outcome) }
        }
    }

    /// The body of ``record(_:)`` for one outcome, inside the caller's transaction.
    private static func record(_ db: any SQLConnection, _ recorded: RecordedOutcome) throws {
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
        func settle(_ assignments: String, _ values: [any StoreBindable]) throws -> Bool {
            try db.executeCached(
                sql: """
                    UPDATE message SET \(assignments), lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                    WHERE id = ? AND state = 'sending' AND lease_owner = ?
                    """,
                arguments: values + [now, id, owner])
            return try db.changesCount > 0
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
            let others = try db.fetchAll(
                sql: """
                    SELECT id, state FROM message
                    WHERE channel = (SELECT channel FROM message WHERE id = ?) AND state IN ('scheduled', 'retry_wait')
                    """,
                arguments: [id])
            for row in others {
                let other: String = row["id"]
                // Conditional: another daemon may have claimed it since it was read.
                try db.execute(
                    sql: """
                        UPDATE message SET state = 'held', last_error = ?, updated_at = ?
                        WHERE id = ? AND state IN ('scheduled', 'retry_wait')
                        """,
                    arguments: [text, now, other])
                guard try db.changesCount > 0 else { continue }
                try Self.log(
                    db, at: now, actor: "dispatcher", action: "hold", id: other,
                    from: MessageState(rawValue: row["state"]), to: .held, note: reason)
                try Self.emit(db, .messageHeld, message: other, detail: reason, at: now)
            }
        }
        try db.executeCached(
            sql: """
                INSERT INTO attempt (message_id, started_at, transport, outcome, detail, latency_ms, owner)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [id, startedAt.timeIntervalSince1970, transport, outcomeName, detail, milliseconds, owner])
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
        try write("returning unstarted messages", isolation: .conditional) { db in
            for id in ids {
                try db.execute(
                    sql: """
                        UPDATE message SET state = CASE WHEN next_attempt_at IS NULL THEN 'scheduled' ELSE 'retry_wait' END,
                            attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
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
            let ids = try db.fetchValues(
                String.self,
                sql: "SELECT id FROM message WHERE state = 'sending' \(owner == nil ? "" : "AND lease_owner = ?")",
                arguments: owner.map { [$0] } ?? [])
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
            var arguments: [any StoreBindable] = []
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
                clauses.append(
                    db.dialect.equalsIgnoringCase(
                        db.dialect.jsonText("contact_json", path: ["account_manager", "name"]), "?"))
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
            return try db.fetchAll(sql: sql, arguments: arguments).map(Self.message(from:))
        }
    }

    public func message(id: String) throws(StoreError) -> StoredMessage? {
        try read("reading message \(id)") { db in
            try db.fetchOne(sql: "SELECT * FROM message WHERE id = ?", arguments: [id]).map(Self.message(from:))
        }
    }

    public func ids(startingWith prefix: String, limit: Int) throws(StoreError) -> [String] {
        try read("looking up ids") { db in
            try db.fetchValues(
                String.self, sql: "SELECT id FROM message WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                arguments: [prefix, prefix + "\u{10FFFF}", limit])
        }
    }

    public func attempts(messageID: String) throws(StoreError) -> [DeliveryAttempt] {
        try read("reading attempts of \(messageID)") { db in
            try db.fetchAll(
                sql: "SELECT * FROM attempt WHERE message_id = ? ORDER BY id", arguments: [messageID]
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
            for row in try db.fetchAll(sql: "SELECT state, COUNT(*) AS n FROM message GROUP BY state") {
                if let state = MessageState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    public func messageCounts(dueBy date: Date) throws(StoreError) -> [MessageCount] {
        try read("counting messages by state, kind and channel") { db in
            let t = date.timeIntervalSince1970
            return try db.fetchAll(
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
        do {
            try driver.checkReachable()
        } catch DriverFailure.unreachable(let why) {
            throw StoreError(.unreachable, "checking \(location)", why)
        } catch {
            throw StoreError(.unreachable, "checking \(location)", "\(error)")
        }
    }

    /// Writes one small row (`setting.write_probe`, the time) to learn whether the store can be
    /// written now: `unwritable` when the disk is full or the store or database is read-only.
    /// For `rapport status`, which must say why a daemon is paused when the daemon cannot record it.
    public func checkWritable(at date: Date) throws(StoreError) {
        try write("checking that \(location) can be written") { db in
            try Self.set(db, setting: "write_probe", to: date.formatted(.iso8601))
        }
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
            try db.fetchAll(
                sql: "SELECT * FROM touchpoint WHERE contact_id = ? ORDER BY at DESC, id DESC",
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

    /// `?, ?, …`: the placeholders of an `IN (…)` list or a `VALUES (…)` row of `count` values.
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// `values` in runs of at most 500, each with its placeholders, for `IN (…)` queries that
    /// stay under the databases' limits on bound values.
    static func inLists(_ values: [String]) -> [(marks: String, arguments: [any StoreBindable])] {
        stride(from: 0, to: values.count, by: 500).map { start in
            let run = values[start..<min(start + 500, values.count)]
            return (placeholders(run.count), run.map { $0 as any StoreBindable })
        }
    }

    static func log(
        _ db: any SQLConnection, at: Double, actor: String, action: String, id: String?, from: MessageState?,
        to: MessageState?,
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

    static func message(from row: any StoreRow) -> StoredMessage {
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

    func read<T>(_ operation: String, _ body: (any SQLConnection) throws -> T) throws(StoreError) -> T {
        do {
            return try driver.read(body)
        } catch {
            throw Self.storeError(error, operation)
        }
    }

    /// Runs `body` in one write transaction; see ``WriteIsolation`` for when `isolation` may be
    /// ``WriteIsolation/conditional``.
    func write<T>(
        _ operation: String, isolation: WriteIsolation = .snapshot, _ body: (any SQLConnection) throws -> T
    ) throws(StoreError) -> T {
        do {
            return try driver.write(isolation, body)
        } catch {
            throw Self.storeError(error, operation)
        }
    }

    /// A driver's failure as the store reports it: `unwritable` and `unreachable` keep their
    /// meaning, a ``StoreError`` passes through, anything else is a failed query.
    static func storeError(_ error: any Error, _ operation: String) -> StoreError {
        switch error {
        case DriverFailure.unwritable(let why): StoreError(.unwritable, operation, why)
        case DriverFailure.unreachable(let why): StoreError(.unreachable, operation, why)
        case let error as StoreError: error
        default: StoreError(.query, operation, "\(error)")
        }
    }
}

extension Outbox {
    /// Makes every later write fail as a read-only file system would (or work again): for the
    /// tests of this package, which cannot make a file read-only for root. SQLite only.
    package func simulateReadOnly(_ readOnly: Bool) throws {
        guard let sqlite = driver as? SQLiteDriver else { return }
        try sqlite.setQueryOnly(readOnly)
    }

    /// Runs raw SQL outside the store's API, in one transaction: for the tests of this package
    /// (the audit trail's guards, corrupting a row on purpose).
    package func executeForTesting(_ sql: String) throws {
        try driver.write(.snapshot) { db in try db.execute(sql: sql) }
    }
}
