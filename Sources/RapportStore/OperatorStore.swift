import Foundation
import RapportCore

/// A daemon's last sign of life, written on every tick; `rapport status` reads it.
public struct DaemonHeartbeat: Sendable, Hashable, Codable {
    /// `host:pid`, as in leases.
    public var owner: String
    public var host: String
    public var pid: Int
    public var version: String
    public var startedAt: Date
    public var tickSeconds: Double
    public var lastTickAt: Date?
    public var lastError: String?
    public var lastErrorAt: Date?
    public var transports: [TransportHealth]
    /// Set when the daemon stopped cleanly.
    public var stoppedAt: Date?

    public init(
        owner: String, host: String, pid: Int, version: String, startedAt: Date, tickSeconds: Double,
        lastTickAt: Date? = nil, lastError: String? = nil, lastErrorAt: Date? = nil, transports: [TransportHealth] = [],
        stoppedAt: Date? = nil
    ) {
        self.owner = owner
        self.host = host
        self.pid = pid
        self.version = version
        self.startedAt = startedAt
        self.tickSeconds = tickSeconds
        self.lastTickAt = lastTickAt
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.transports = transports
        self.stoppedAt = stoppedAt
    }
}

/// How a transport has been doing, as seen by one daemon.
public struct TransportHealth: Sendable, Hashable, Codable {
    public var name: String
    public var lastSuccessAt: Date?
    public var lastFailureAt: Date?
    public var lastFailure: String?
    public var consecutiveFailures: Int

    public init(name: String) {
        self.name = name
        self.consecutiveFailures = 0
    }

    /// Failing: the last attempt failed.
    public var isFailing: Bool { consecutiveFailures > 0 }
}

/// Which audit events a listing shows.
public struct AuditFilter: Sendable {
    /// Only actions by operators (not the planner or dispatcher).
    public var operatorsOnly = true
    public var actor: String?
    public var messageID: String?
    public var contactID: String?
    public var since: Date?
    public var limit: Int?

    public init(
        operatorsOnly: Bool = true, actor: String? = nil, messageID: String? = nil, contactID: String? = nil,
        since: Date? = nil, limit: Int? = nil
    ) {
        self.operatorsOnly = operatorsOnly
        self.actor = actor
        self.messageID = messageID
        self.contactID = contactID
        self.since = since
        self.limit = limit
    }
}

/// A contact whose kind changed between two data loads.
public struct KindChange: Sendable, Hashable {
    public var contactID: String
    public var from: ContactKind
    public var to: ContactKind
}

/// What a contact's row in `rapport contacts` needs from the outbox.
public struct ContactActivity: Sendable, Hashable {
    public init(contactID: String) { self.contactID = contactID }

    public var contactID: String
    /// The last message sent to the contact.
    public var lastSentAt: Date?
    /// The next open message (not yet sent), if any.
    public var nextDueAt: Date?
    public var nextRule: RuleID?
    /// The latest touchpoint recorded with `rapport touch`.
    public var lastTouchpointAt: Date?
}

/// The parts of the outbox only the operator's desk needs: heartbeats, the audit trail, the
/// relationship timeline.
public protocol OperatorStore: ConsentStore, EventStore {
    /// Inserts or replaces a daemon's heartbeat.
    func record(_ heartbeat: DaemonHeartbeat) throws(StoreError)
    /// Every daemon that ever beat, most recent first.
    func heartbeats() throws(StoreError) -> [DaemonHeartbeat]
    /// Audit events, oldest first.
    func auditEvents(matching filter: AuditFilter) throws(StoreError) -> [AuditEvent]
    /// Remembers each contact's kind and records every change as an event.
    ///
    /// - Parameter kinds: each contact's id and kind, each id once, in id order (a snapshot's
    ///   contacts, mapped lazily: a million pairs are never gathered into a table).
    @discardableResult
    func recordKinds<Kinds: Collection<(String, ContactKind)>>(_ kinds: Kinds, at date: Date) throws(StoreError)
        -> [KindChange]
    /// For each contact with messages: last sent, next due.
    func activity() throws(StoreError) -> [String: ContactActivity]
}

/// A contact's local opt-out from promotions: it wins over the data's `marketing_opt_in` until
/// an operator clears it.
public struct OptOut: Sendable, Hashable, Codable {
    public var contactID: String
    /// What was opted out of: `promotions`.
    public var scope: String
    public var at: Date
    /// `link` (one-click unsubscribe) or `operator`.
    public var source: String
    public var actor: String
    public var note: String?

    public init(contactID: String, scope: String = "promotions", at: Date, source: String, actor: String, note: String?)
    {
        self.contactID = contactID
        self.scope = scope
        self.at = at
        self.source = source
        self.actor = actor
        self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case scope, at, source, actor, note
        case contactID = "contact_id"
    }
}

/// What `forget` removed.
public struct ErasureReport: Sendable, Hashable, Codable {
    /// The pseudonym the contact's remaining rows now carry.
    public var pseudonym: String
    public var messages: Int
    public var cancelled: Int
    public var attempts: Int
    public var events: Int
    public var touchpoints: Int
}

/// Consent and privacy: opt-outs, erasure, retention.
public protocol ConsentStore: SuppressionStore {
    /// Records an opt-out and, in the same transaction, cancels the contact's open promotions.
    /// - Returns: the ids of the promotions cancelled.
    @discardableResult
    func recordOptOut(_ optOut: OptOut) throws(StoreError) -> [String]
    /// Clears a contact's opt-out; `false` when there was none.
    @discardableResult
    func clearOptOut(contactID: String, actor: String, at date: Date) throws(StoreError) -> Bool
    /// Every opt-out, newest first.
    func optOuts() throws(StoreError) -> [OptOut]
    /// Removes a person's personal data from every table: open messages are cancelled; names,
    /// addresses, rendered bodies, server answers and notes are erased; the contact id is
    /// replaced by a pseudonym; an anonymised `forget` event records that it happened. Every
    /// address the person was written to, and `address` (the data's), is suppressed by its hash
    /// only, so a later import does not bring them back.
    func forget(contactID: String, address: String?, actor: String, at date: Date) throws(StoreError)
        -> ErasureReport
    /// Erases the rendered bodies of messages closed (sent, failed, cancelled, skipped) before
    /// `date`; the rows, states and times stay. Returns how many were purged.
    @discardableResult
    func purgeBodies(closedBefore date: Date, at now: Date) throws(StoreError) -> Int
}

/// An email address nothing is sent to: it bounced permanently, an operator added it, or the
/// person was erased (then only the hash is kept).
public struct Suppression: Sendable, Hashable, Codable {
    /// ``SuppressedAddress/hash(_:)`` of the address.
    public var addressHash: String
    /// The address; `nil` for an entry made by erasure.
    public var address: String?
    public var reason: String
    /// `smtp` (a permanent refusal at RCPT), `operator` or `erasure`.
    public var source: String
    public var createdAt: Date
    public var createdBy: String

    public init(
        addressHash: String, address: String?, reason: String, source: String, createdAt: Date, createdBy: String
    ) {
        self.addressHash = addressHash
        self.address = address
        self.reason = reason
        self.source = source
        self.createdAt = createdAt
        self.createdBy = createdBy
    }

    enum CodingKeys: String, CodingKey {
        case address, reason, source
        case addressHash = "address_hash"
        case createdAt = "created_at"
        case createdBy = "created_by"
    }
}

/// The suppression list.
public protocol SuppressionStore: OutboxStore {
    /// Suppresses `address` (kept only as its hash when `keepAddress` is false) and, in the same
    /// transaction, cancels every open email message to it. Suppressing again updates the reason.
    /// - Returns: the ids of the messages cancelled.
    @discardableResult
    func suppress(
        address: String, keepAddress: Bool, reason: String, source: String, actor: String, at date: Date
    ) throws(StoreError) -> [String]
    /// Clears a suppression; `false` when the address was not suppressed.
    @discardableResult
    func unsuppress(address: String, actor: String, at date: Date) throws(StoreError) -> Bool
    /// Every suppression, newest first.
    func suppressions() throws(StoreError) -> [Suppression]
}
