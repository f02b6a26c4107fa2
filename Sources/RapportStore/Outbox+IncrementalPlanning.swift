import Foundation
import RapportCore

/// What the last stored plan was made from, kept so that the next plan can redo only the
/// contacts whose record or outbox changed since.
public struct PlanBasis: Sendable, Equatable {
    /// A digest of everything else the plan depended on: the configuration, the templates and
    /// the clock's planning period. Another one means a full plan.
    public var settings: String
    /// The data file's CSV header digest (0 for JSON).
    public var preamble: UInt64
    /// The newest audit event when the plan was stored: the contacts of events after it have
    /// changed in the outbox.
    public var lastEvent: Int64
    /// Each record of the data file and the contact it made.
    public var index: RecordIndex

    public init(settings: String, preamble: UInt64, lastEvent: Int64, index: RecordIndex) {
        self.settings = settings
        self.preamble = preamble
        self.lastEvent = lastEvent
        self.index = index
    }
}

extension Outbox {
    /// Where an embedded store keeps the record index of the last plan: a file beside it
    /// (`rapport.sqlite.plan-index`), not a row in it.
    ///
    /// The index is a cache of about 19 bytes a record, rewritten whole by every plan of a
    /// changed file. In the store, its pages went through the write-ahead log and the
    /// checkpoint: about 40 MB of writes and 0.15 s for a million records. A file is written in
    /// one go, without fsync; the plan basis in the store holds its checksum, so a file that a
    /// crash left old, short or missing is not used, and the next plan is a full one.
    public var recordIndexPath: String { location + ".plan-index" }

    /// The basis of the last stored plan; `nil` when there is none, on PostgreSQL, or when its
    /// record index file is missing or not the one the basis describes.
    ///
    /// Only an embedded store keeps one: the event ids that mark what changed since are given
    /// in commit order only by SQLite's single writer. PostgreSQL sequences are handed out
    /// before commit, so a change committed late could be missed.
    public func planBasis() throws(StoreError) -> PlanBasis? {
        guard isEmbedded else { return nil }
        let text = try read("reading the plan basis") { db in
            try db.fetchValue(String.self, sql: "SELECT value FROM setting WHERE key = 'plan_basis'")
        }
        guard let parts = text?.split(separator: " "), parts.count == 4, let preamble = UInt64(parts[1]),
            let lastEvent = Int64(parts[2]), let checksum = UInt64(parts[3]),
            let bytes = FileManager.default.contents(atPath: recordIndexPath),
            let index = RecordIndex(serialized: [UInt8](bytes)), index.checksum == checksum
        else { return nil }
        return PlanBasis(settings: String(parts[0]), preamble: preamble, lastEvent: lastEvent, index: index)
    }

    /// Stores the basis of the plan just stored (nothing on PostgreSQL); `nil` forgets it, so
    /// that the next plan is a full one.
    /// - Parameter writingIndex: write the record index file; `false` when it holds this
    ///   basis's index already.
    public func setPlanBasis(_ basis: PlanBasis?, writingIndex: Bool = true) throws(StoreError) {
        guard isEmbedded else { return }
        guard let basis else {
            try write("forgetting the plan basis") { db in
                try db.execute(sql: "DELETE FROM setting WHERE key = 'plan_basis'")
            }
            unlink(recordIndexPath)
            return
        }
        if writingIndex {
            do {
                try AtomicFile.replace(
                    basis.index.bytes, to: recordIndexPath,
                    directory: (recordIndexPath as NSString).deletingLastPathComponent, durably: false, mode: 0o600)
            } catch {
                throw StoreError(.query, "writing the record index", error.description)
            }
        }
        try write("recording the plan basis") { db in
            try Self.set(
                db, setting: "plan_basis",
                to: "\(basis.settings) \(basis.preamble) \(basis.lastEvent) \(basis.index.checksum)")
        }
    }

    /// Forgets the plan basis and erases the record index file: overwritten with zeros and
    /// synced before it is removed, so that the contact ids in it do not linger on disk
    /// (`rapport forget`). The next plan is a full one.
    func eraseRecordIndex() throws(StoreError) {
        guard isEmbedded else { return }
        // Zeroed first, then forgotten (which removes it): zeroed, it no longer matches the
        // checksum in the basis, should the rest not happen.
        try overwriteRecordIndexWithZeros()
        try setPlanBasis(nil)
    }

    private func overwriteRecordIndexWithZeros() throws(StoreError) {
        let fd = open(recordIndexPath, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let size = Int(lseek(fd, 0, SEEK_END))
        let zeros = [UInt8](repeating: 0, count: 1 << 16)
        var offset = 0
        while offset < size {
            let written = zeros.withUnsafeBytes {
                pwrite(fd, $0.baseAddress, min($0.count, size - offset), off_t(offset))
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                throw StoreError(.query, "erasing \(recordIndexPath)", String(cString: strerror(errno)))
            }
            offset += written
        }
        guard fsync(fd) == 0 else {
            throw StoreError(.query, "erasing \(recordIndexPath)", String(cString: strerror(errno)))
        }
    }

    /// The newest audit event's id (0 when there is none).
    public func lastEventID() throws(StoreError) -> Int64 {
        try read("reading the newest event") { db in
            try db.fetchValue(Int64.self, sql: "SELECT max(id) FROM event") ?? 0
        }
    }

    /// The contacts of the audit events after `eventID`: every change of a message, a
    /// touchpoint, an opt-out is one. `nil` when one of them concerns no single contact (a
    /// suppressed address, say): then anyone may be concerned.
    public func contactsChanged(afterEvent eventID: Int64) throws(StoreError) -> Set<String>? {
        try read("reading what changed since the last plan") { db in
            var contacts = Set<String>()
            var unattributed = false
            // Not `DISTINCT`: SQLite would read the whole contact index for it (every event
            // ever), rather than the few events after the last plan by their ids.
            try db.forEachRow(sql: "SELECT contact_id FROM event WHERE id > ?", arguments: [eventID]) { row in
                let contact: String? = row["contact_id"]
                if let contact { contacts.insert(contact) } else { unattributed = true }
            }
            return unattributed ? nil : contacts
        }
    }

    /// How many messages of each rate-limited campaign are in the outbox (open, sending or
    /// sent) per UTC hour, counted as the planner counts them (times are after 1970: the cast is the floor).
    public func campaignLoad(of campaigns: [String]) throws(StoreError) -> [String: [Int: Int]] {
        guard !campaigns.isEmpty else { return [:] }
        return try read("counting campaign messages per hour") { db in
            let rules = campaigns.map { RuleID(kind: .promotion, subject: $0).description }
            var load: [String: [Int: Int]] = [:]
            try db.forEachRow(
                sql: """
                    SELECT rule, CAST(COALESCE(sent_at, due_at) / 3600 AS INTEGER) AS hour, count(*) AS n
                    FROM message
                    WHERE rule IN (\(Self.placeholders(rules.count)))
                        AND (state IN \(Self.openStates) OR state IN ('sending', 'sent'))
                    GROUP BY rule, hour
                    """, arguments: rules
            ) { row in
                guard let rule = RuleID(parsing: row["rule"]), let name = rule.subject else { return }
                load[name, default: [:]][row["hour"], default: 0] += row["n"] as Int
            }
            return load
        }
    }
}
