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
public protocol OperatorStore: OutboxStore {
    /// Inserts or replaces a daemon's heartbeat.
    func record(_ heartbeat: DaemonHeartbeat) throws(StoreError)
    /// Every daemon that ever beat, most recent first.
    func heartbeats() throws(StoreError) -> [DaemonHeartbeat]
    /// Audit events, oldest first.
    func auditEvents(matching filter: AuditFilter) throws(StoreError) -> [AuditEvent]
    /// Remembers each contact's kind and records every change as an event.
    @discardableResult
    func recordKinds(_ kinds: [String: ContactKind], at date: Date) throws(StoreError) -> [KindChange]
    /// For each contact with messages: last sent, next due.
    func activity() throws(StoreError) -> [String: ContactActivity]
}
