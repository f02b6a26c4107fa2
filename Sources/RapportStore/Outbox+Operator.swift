import Foundation
import RapportCore

extension Outbox: OperatorStore {
    // MARK: - Operator actions

    public func perform(_ action: OperatorAction, on ids: [String], actor: String, note: String?, at date: Date)
        throws(StoreError) -> [ActionResult]
    {
        try write("\(action.name) by \(actor)") { db in
            try ids.map { id in try Self.perform(action, on: id, actor: actor, note: note, at: date, in: db) }
        }
    }

    /// One action on one message: a single conditional UPDATE, so it either applies to the state
    /// it was checked against or, racing the dispatcher, is refused.
    static func perform(
        _ action: OperatorAction, on id: String, actor: String, note: String?, at date: Date, in db: any SQLConnection
    ) throws -> ActionResult {
        let now = date.timeIntervalSince1970
        guard
            let row = try db.fetchOne(
                sql: "SELECT state, requires_approval, approved_at FROM message WHERE id = ?", arguments: [id])
        else {
            return ActionResult(id: id, from: nil, to: nil, refusal: "no message with id \(id)")
        }
        let state = MessageState(rawValue: row["state"]) ?? .failed
        let approved = !(row["requires_approval"] as Bool) || (row["approved_at"] as Double?) != nil
        guard action.allowedStates.contains(state) else {
            let allowed = action.allowedStates.map(\.rawValue).sorted().joined(separator: ", ")
            return ActionResult(
                id: id, from: state, to: nil, refusal: "it is \(state.rawValue); \(action.name) applies to \(allowed)")
        }
        var detail = note
        let target: MessageState
        switch action {
        case .approve:
            target = .scheduled
            try db.execute(
                sql:
                    "UPDATE message SET state = 'scheduled', approved_at = ?, approved_by = ?, updated_at = ? WHERE id = ?",
                arguments: [now, actor, now, id])
        case .hold:
            target = .held
            try db.execute(sql: "UPDATE message SET state = 'held', updated_at = ? WHERE id = ?", arguments: [now, id])
        case .release:
            target = approved ? .scheduled : .pendingApproval
            try db.execute(
                sql: "UPDATE message SET state = ?, updated_at = ? WHERE id = ?", arguments: [target.rawValue, now, id])
        case .cancel:
            target = .cancelled
            try db.execute(
                sql: """
                    UPDATE message SET state = 'cancelled', closed_at = ?, closed_by = ?, updated_at = ?, reason = ?
                    WHERE id = ?
                    """,
                arguments: [now, actor, now, "cancelled by \(actor)" + (note.map { ": \($0)" } ?? ""), id])
        case .reschedule(let due):
            // A message waiting to retry becomes an ordinary scheduled one at the new time.
            target = state == .retryWait ? .scheduled : state
            try db.execute(
                sql: """
                    UPDATE message SET state = ?, due_at = ?, due_set_by = ?, next_attempt_at = NULL, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [target.rawValue, due.timeIntervalSince1970, actor, now, id])
            detail = "due \(due.formatted(.iso8601))" + (note.map { ": \($0)" } ?? "")
        case .sendNow:
            guard approved else {
                return ActionResult(id: id, from: state, to: nil, refusal: "it needs approval first")
            }
            target = .scheduled
            try db.execute(
                sql: """
                    UPDATE message SET state = 'scheduled', due_at = ?, due_set_by = ?, next_attempt_at = NULL,
                        updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [now, actor, now, id])
        case .retry:
            target = .scheduled
            try db.execute(
                sql: """
                    UPDATE message SET state = 'scheduled', due_at = ?, due_set_by = ?, attempts = 0,
                        next_attempt_at = NULL, closed_at = NULL, closed_by = NULL, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [now, actor, now, id])
        }
        try log(db, at: now, actor: actor, action: action.name, id: id, from: state, to: target, note: detail)
        if target == .held { try emit(db, .messageHeld, message: id, detail: detail ?? "held by \(actor)", at: now) }
        return ActionResult(id: id, from: state, to: target, refusal: nil)
    }

    // MARK: - Heartbeats

    public func record(_ heartbeat: DaemonHeartbeat) throws(StoreError) {
        try write("recording the heartbeat of \(heartbeat.owner)") { db in
            let transports = String(decoding: try JSONEncoder().encode(heartbeat.transports), as: UTF8.self)
            try db.execute(
                sql: """
                    INSERT INTO daemon (
                        owner, host, pid, version, started_at, tick_seconds, last_tick_at, last_error, last_error_at,
                        transports, stopped_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (owner) DO UPDATE SET host = excluded.host, pid = excluded.pid,
                        version = excluded.version, started_at = excluded.started_at,
                        tick_seconds = excluded.tick_seconds, last_tick_at = excluded.last_tick_at,
                        last_error = excluded.last_error, last_error_at = excluded.last_error_at,
                        transports = excluded.transports, stopped_at = excluded.stopped_at
                    """,
                arguments: [
                    heartbeat.owner, heartbeat.host, heartbeat.pid, heartbeat.version,
                    heartbeat.startedAt.timeIntervalSince1970, heartbeat.tickSeconds,
                    heartbeat.lastTickAt?.timeIntervalSince1970, heartbeat.lastError,
                    heartbeat.lastErrorAt?.timeIntervalSince1970, transports,
                    heartbeat.stoppedAt?.timeIntervalSince1970,
                ])
        }
    }

    public func heartbeats() throws(StoreError) -> [DaemonHeartbeat] {
        try read("reading heartbeats") { db in
            try db.fetchAll(sql: "SELECT * FROM daemon ORDER BY COALESCE(last_tick_at, started_at) DESC").map {
                row in
                DaemonHeartbeat(
                    owner: row["owner"], host: row["host"], pid: row["pid"], version: row["version"],
                    startedAt: Self.date(row["started_at"]), tickSeconds: row["tick_seconds"],
                    lastTickAt: Self.optionalDate(row["last_tick_at"]), lastError: row["last_error"],
                    lastErrorAt: Self.optionalDate(row["last_error_at"]),
                    transports: (try? JSONDecoder().decode(
                        [TransportHealth].self, from: Data((row["transports"] as String).utf8)))
                        ?? [],
                    stoppedAt: Self.optionalDate(row["stopped_at"]))
            }
        }
    }

    // MARK: - Audit and timeline

    public func auditEvents(matching filter: AuditFilter) throws(StoreError) -> [AuditEvent] {
        try read("reading the audit trail") { db in
            var clauses: [String] = []
            var arguments: [any StoreBindable] = []
            if filter.operatorsOnly { clauses.append("actor NOT IN ('planner', 'dispatcher')") }
            if let actor = filter.actor {
                clauses.append("actor = ?")
                arguments.append(actor)
            }
            if let id = filter.messageID {
                clauses.append("message_id = ?")
                arguments.append(id)
            }
            if let contact = filter.contactID {
                clauses.append("contact_id = ?")
                arguments.append(contact)
            }
            if let since = filter.since {
                clauses.append("at >= ?")
                arguments.append(since.timeIntervalSince1970)
            }
            var sql = "SELECT * FROM event"
            if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
            sql += " ORDER BY id"
            if let limit = filter.limit {
                // The newest `limit`, still printed oldest first.
                sql =
                    "SELECT * FROM (\(sql.replacingOccurrences(of: "ORDER BY id", with: "ORDER BY id DESC")) LIMIT \(limit)) ORDER BY id"
            }
            return try db.fetchAll(sql: sql, arguments: arguments).map(Self.event(from:))
        }
    }

    public func events(messageID: String) throws(StoreError) -> [AuditEvent] {
        try auditEvents(matching: AuditFilter(operatorsOnly: false, messageID: messageID))
    }

    @discardableResult
    public func recordKinds<Kinds: Collection<(String, ContactKind)>>(_ kinds: Kinds, at date: Date)
        throws(StoreError) -> [KindChange]
    {
        try write("recording contact kinds") { db in
            var known: [String: ContactKind] = [:]
            let remember = { (row: any StoreRow) in
                if let kind = ContactKind(rawValue: row["kind"]) { known[row["contact_id"]] = kind }
            }
            if kinds.count > 20_000 {
                // Row by row: a million rows fetched at once held a million row objects.
                try db.forEachRow(sql: "SELECT contact_id, kind FROM contact_kind", arguments: [], remember)
            } else {
                // A few contacts (a plan of the changes only): their rows, not a million.
                for list in Self.inLists(kinds.map(\.0)) {
                    try db.forEachRow(
                        sql: "SELECT contact_id, kind FROM contact_kind WHERE contact_id IN (\(list.marks))",
                        arguments: list.arguments, remember)
                }
            }
            var changes: [KindChange] = []
            let now = date.timeIntervalSince1970
            // Only what changed is written, one prepared statement, in id order (the events').
            for (contact, kind) in kinds where known[contact] != kind {
                try db.executeCached(
                    sql: """
                        INSERT INTO contact_kind (contact_id, kind, since) VALUES (?, ?, ?)
                        ON CONFLICT (contact_id) DO UPDATE SET kind = excluded.kind, since = excluded.since
                        """,
                    arguments: [contact, kind.rawValue, now])
                guard let previous = known[contact] else { continue }
                changes.append(KindChange(contactID: contact, from: previous, to: kind))
                try db.executeCached(
                    sql:
                        "INSERT INTO event (at, actor, action, contact_id, note) VALUES (?, 'planner', 'kind-change', ?, ?)",
                    arguments: [now, contact, "\(previous.rawValue) → \(kind.rawValue)"])
            }
            return changes
        }
    }

    public func activity() throws(StoreError) -> [String: ContactActivity] {
        try read("summarising contact activity") { db in
            var result: [String: ContactActivity] = [:]
            for row in try db.fetchAll(
                sql: """
                    SELECT contact_id, MAX(sent_at) AS last_sent,
                        MIN(CASE WHEN state IN \(Self.openStates) THEN due_at END) AS next_due
                    FROM message GROUP BY contact_id
                    """)
            {
                let contact: String = row["contact_id"]
                var activity = ContactActivity(contactID: contact)
                activity.lastSentAt = Self.optionalDate(row["last_sent"])
                activity.nextDueAt = Self.optionalDate(row["next_due"])
                result[contact] = activity
            }
            for row in try db.fetchAll(
                sql: """
                    SELECT m.contact_id, m.rule FROM message m
                    JOIN (SELECT contact_id, MIN(due_at) AS due FROM message WHERE state IN \(Self.openStates)
                          GROUP BY contact_id) n
                      ON n.contact_id = m.contact_id AND n.due = m.due_at
                    WHERE m.state IN \(Self.openStates)
                    """)
            {
                result[row["contact_id"]]?.nextRule = RuleID(parsing: row["rule"])
            }
            for row in try db.fetchAll(sql: "SELECT contact_id, MAX(at) AS at FROM touchpoint GROUP BY contact_id") {
                let contact: String = row["contact_id"]
                result[contact, default: ContactActivity(contactID: contact)].lastTouchpointAt = Self.date(row["at"])
            }
            return result
        }
    }

    static func event(from row: any StoreRow) -> AuditEvent {
        AuditEvent(
            at: date(row["at"]), actor: row["actor"], action: row["action"], messageID: row["message_id"],
            fromState: (row["from_state"] as String?).flatMap(MessageState.init(rawValue:)),
            toState: (row["to_state"] as String?).flatMap(MessageState.init(rawValue:)), note: row["note"],
            contactID: row["contact_id"])
    }
}
