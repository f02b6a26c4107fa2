import Foundation
import RapportCore

/// A new message to store: the planner's decision plus its rendered content.
public struct NewMessage: Sendable {
    public var planned: PlannedMessage
    public var content: MessageContent
    public var requiresApproval: Bool
    /// How late after its due time the message may still be sent; `nil`: any time.
    public var maxLateness: TimeInterval?

    public init(
        planned: PlannedMessage, content: MessageContent, requiresApproval: Bool, maxLateness: TimeInterval? = nil
    ) {
        self.planned = planned
        self.content = content
        self.requiresApproval = requiresApproval
        self.maxLateness = maxLateness
    }
}

/// Everything one planning pass changes, applied in one transaction.
public struct OutboxChanges: Sendable {
    public var insertions: [NewMessage] = []
    public var retimings: [Retiming] = []
    public var cancellations: [Cancellation] = []
    /// Open messages the planner declines: stale after downtime, or over a cap.
    public var skips: [Skip] = []
    /// Open messages whose content was rendered anew because the data behind it changed.
    public var refreshes: [(id: String, content: MessageContent)] = []
    /// Open messages stored unrendered, now rendered for the first time as their due time
    /// came near.
    public var renders: [(id: String, content: MessageContent)] = []

    public init() {}

    public var isEmpty: Bool {
        insertions.isEmpty && retimings.isEmpty && cancellations.isEmpty && refreshes.isEmpty && skips.isEmpty
            && renders.isEmpty
    }
}

/// What the planner reads from the outbox before planning.
public struct PlanningState: Sendable {
    public var history: History
    /// The source digest of each open, rendered message's content, by id.
    public var sourceHashes: ByMessageID<CompactDigest>
    /// The stored due time of each open message not rendered yet, by id.
    public var unrenderedDue: ByMessageID<Date>
}

/// How many rows a planning pass touched.
public struct ApplySummary: Sendable, Hashable {
    public var inserted = 0
    public var retimed = 0
    public var cancelled = 0
    public var skipped = 0
    public var refreshed = 0
    /// Messages stored unrendered and rendered now.
    public var rendered = 0

    public init() {}

    /// Adds another pass's counts (a plan stored in chunks).
    public mutating func add(_ other: ApplySummary) {
        inserted += other.inserted
        retimed += other.retimed
        cancelled += other.cancelled
        skipped += other.skipped
        refreshed += other.refreshed
        rendered += other.rendered
    }
}

/// Which messages a listing shows. Every criterion given must hold.
public struct MessageFilter: Sendable {
    public var states: Set<MessageState> = []
    public var kind: ContactKind?
    public var contactID: String?
    public var channel: Channel?
    /// A rule kind (`checkin`, `progress`, `promotion`).
    public var ruleKind: RuleKind?
    /// An exact rule, e.g. `campaign:winter-sale`.
    public var rule: RuleID?
    /// The account manager's name, as in the data.
    public var accountManager: String?
    /// Due at or after.
    public var dueAfter: Date?
    /// Due before.
    public var dueBefore: Date?
    public var limit: Int?

    public init(
        states: Set<MessageState> = [], kind: ContactKind? = nil, contactID: String? = nil, channel: Channel? = nil,
        ruleKind: RuleKind? = nil, rule: RuleID? = nil, accountManager: String? = nil, dueAfter: Date? = nil,
        dueBefore: Date? = nil, limit: Int? = nil
    ) {
        self.states = states
        self.kind = kind
        self.contactID = contactID
        self.channel = channel
        self.ruleKind = ruleKind
        self.rule = rule
        self.accountManager = accountManager
        self.dueAfter = dueAfter
        self.dueBefore = dueBefore
        self.limit = limit
    }
}

/// What an operator action did to one message.
public struct ActionResult: Sendable, Hashable {
    public var id: String
    public var from: MessageState?
    public var to: MessageState?
    /// Why the action was refused, or `nil` when it was carried out.
    public var refusal: String?

    public var succeeded: Bool { refusal == nil }
}

/// A real touchpoint with a contact (a meeting, a call), recorded by an operator.
public struct Touchpoint: Sendable, Hashable {
    public var contactID: String
    public var at: Date
    public var note: String?
    public var actor: String
    public var recordedAt: Date

    public init(contactID: String, at: Date, note: String?, actor: String, recordedAt: Date) {
        self.contactID = contactID
        self.at = at
        self.note = note
        self.actor = actor
        self.recordedAt = recordedAt
    }
}

/// How a delivery ended, as the dispatcher records it.
public enum DeliveryOutcome: Sendable {
    case delivered(detail: String)
    /// A transient failure; retried at `retryAt`.
    case retry(detail: String, retryAt: Date)
    /// A permanent failure, or the last attempt: the message is `failed`.
    case failed(detail: String)
    /// The endpoint is gone (HTTP 410): the message, and every scheduled or retrying message on
    /// the same channel, is `held` until an operator releases it.
    case endpointGone(detail: String)
}

/// How many messages share one state, contact kind and channel (a row of
/// ``OutboxStore/messageCounts(dueBy:)``).
public struct MessageCount: Sendable, Hashable {
    public var state: MessageState
    public var kind: ContactKind
    public var channel: Channel
    public var count: Int
    /// Of those, how many are due for a send by the given time (`scheduled` past their due time,
    /// `retry_wait` past their next attempt); 0 for every other state.
    public var due: Int

    public init(state: MessageState, kind: ContactKind, channel: Channel, count: Int, due: Int) {
        self.state = state
        self.kind = kind
        self.channel = channel
        self.count = count
        self.due = due
    }
}

/// The durable home of every message. Every state change is one transaction.
///
/// SQLite (``Outbox``) is the embedded default; a PostgreSQL implementation serves
/// several daemons at once.
/// How one claimed message's delivery ended, ready to be recorded.
public struct RecordedOutcome: Sendable {
    public var outcome: DeliveryOutcome
    public var id: String
    /// The lease holder that sent it.
    public var owner: String
    public var transport: String
    public var startedAt: Date
    public var latency: Duration
    public var at: Date

    public init(
        _ outcome: DeliveryOutcome, for id: String, owner: String, transport: String, startedAt: Date,
        latency: Duration, at date: Date
    ) {
        self.outcome = outcome
        self.id = id
        self.owner = owner
        self.transport = transport
        self.startedAt = startedAt
        self.latency = latency
        self.at = date
    }
}

extension OutboxStore {
    /// Records how one claimed message's delivery ended, with the attempt, in one transaction.
    public func record(
        _ outcome: DeliveryOutcome, for id: String, owner: String, transport: String, startedAt: Date,
        latency: Duration, at date: Date
    ) throws(StoreError) {
        try record([
            RecordedOutcome(
                outcome, for: id, owner: owner, transport: transport, startedAt: startedAt, latency: latency, at: date)
        ])
    }

    /// Claims due messages of every channel.
    public func claimDue(now: Date, limit: Int, owner: String, leaseSeconds: Double) throws(StoreError)
        -> [StoredMessage]
    {
        try claimDue(now: now, limit: limit, owner: owner, leaseSeconds: leaseSeconds, channel: nil)
    }
}

public protocol OutboxStore: Sendable {
    /// The outbox as the planner needs it.
    func planningState() throws(StoreError) -> PlanningState
    /// The outbox as the planner needs it, for `contacts` only (and every one when `nil`).
    func planningState(of contacts: [String]?) throws(StoreError) -> PlanningState
    /// What the last stored plan was made from (`nil`: none, or not kept by this store).
    func planBasis() throws(StoreError) -> PlanBasis?
    /// Stores the basis of the plan just stored; `writingIndex: false` keeps the stored index
    /// (the file's records did not change), which saves rewriting megabytes every tick.
    func setPlanBasis(_ basis: PlanBasis?, writingIndex: Bool) throws(StoreError)
    /// The newest audit event's id (0 when there is none).
    func lastEventID() throws(StoreError) -> Int64
    /// The contacts of the audit events after `eventID`; `nil` when one concerns no single
    /// contact.
    func contactsChanged(afterEvent eventID: Int64) throws(StoreError) -> Set<String>?
    /// Messages of each rate-limited campaign per UTC hour, as the planner counts them.
    func campaignLoad(of campaigns: [String]) throws(StoreError) -> [String: [Int: Int]]
    /// Applies one planning pass in one transaction.
    @discardableResult
    func apply(_ changes: OutboxChanges, actor: String, at date: Date) throws(StoreError) -> ApplySummary
    /// Claims up to `limit` due messages for `owner`, moving them to `sending` with a lease, in
    /// one transaction, before any byte is sent. Messages whose lease expired are claimed again.
    /// A message more than its `maxLateness` past due is not claimed: the planner skips it as
    /// stale and plans again.
    /// Changes whenever anything the planner reads from the store may have changed: an audit
    /// event (operator actions, touchpoints, opt-outs, suppressions) or any message's state.
    func planningMarker() throws(StoreError) -> String
    /// The fingerprint of the inputs of the last stored plan (see `Engine.needsPlanning`).
    func planFingerprint() throws(StoreError) -> String?
    func setPlanFingerprint(_ fingerprint: String) throws(StoreError)
    /// Only messages of `channel` when one is given.
    func claimDue(now: Date, limit: Int, owner: String, leaseSeconds: Double, channel: Channel?) throws(StoreError)
        -> [StoredMessage]
    /// Gives back claimed messages whose send never started (a dispatch pass ran out of time or
    /// was stopped): they return to the state they were claimed from, the claim's attempt not
    /// counted.
    func returnUnstarted(_ ids: [String], owner: String, at date: Date) throws(StoreError)
    /// Records how claimed messages' deliveries ended, each with its attempt, all in one
    /// transaction (a group commit: one sync to disk for the outcomes of several workers).
    func record(_ outcomes: [RecordedOutcome]) throws(StoreError)
    /// Returns every message still leased (to `owner`, or to anyone when `nil`) to `retry_wait`,
    /// due at once: a send that may or may not have happened is retried with the same id.
    @discardableResult
    func releaseLeases(owner: String?, at date: Date) throws(StoreError) -> Int
    func messages(matching filter: MessageFilter) throws(StoreError) -> [StoredMessage]
    func message(id: String) throws(StoreError) -> StoredMessage?
    /// Ids that start with `prefix`, for operators who type a few characters.
    func ids(startingWith prefix: String, limit: Int) throws(StoreError) -> [String]
    func perform(_ action: OperatorAction, on ids: [String], actor: String, note: String?, at date: Date)
        throws(StoreError) -> [ActionResult]
    func attempts(messageID: String) throws(StoreError) -> [DeliveryAttempt]
    func events(messageID: String) throws(StoreError) -> [AuditEvent]
    /// Counts of messages by state.
    func countsByState() throws(StoreError) -> [MessageState: Int]
    /// Counts of messages by state, kind and channel, with how many are due by `date`, in one
    /// query (for metrics and the daemon's status line).
    func messageCounts(dueBy date: Date) throws(StoreError) -> [MessageCount]
    /// Throws when the store cannot be reached: its file is gone or replaced, or a query fails.
    func checkReachable() throws(StoreError)
    /// Records a real touchpoint; the next plan restarts the contact's check-in cadence.
    func recordTouchpoint(_ touchpoint: Touchpoint) throws(StoreError)
    /// The touchpoints recorded for a contact, latest first.
    func touchpoints(contactID: String) throws(StoreError) -> [Touchpoint]
}
