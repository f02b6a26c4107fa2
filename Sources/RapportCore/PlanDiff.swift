import Foundation

/// One occurrence the planner wants in the outbox, with everything needed to render it.
///
/// The contact and the campaign are held by reference, shared by every message planned for
/// them: inline they made a message 816 bytes, and a plan of a million contacts holds about as
/// many messages at once. The project is too: most messages have none (208 -> 136 bytes).
public struct PlannedMessage: Sendable, Hashable {
    public var key: MessageKey
    public var contact: Contact {
        get { sharedContact.value }
        set { sharedContact = Shared(newValue) }
    }
    public var channel: Channel
    public var template: String
    public var dueAt: Date
    /// `pending_approval` or `scheduled` for a message to send, `skipped` for one the policy
    /// declined (the row records that it was considered, and why).
    public var state: MessageState
    /// Why the planner planned it, in words an operator reads in `rapport show`.
    public var reason: String
    /// The project a progress report is about; held by reference, as most messages have none.
    public var project: Project? {
        get { sharedProject?.value }
        set { sharedProject = newValue.map(Shared.init) }
    }
    public var campaign: Campaign? {
        get { sharedCampaign?.value }
        set { sharedCampaign = newValue.map(Shared.init) }
    }
    private var sharedContact: Shared<Contact>
    private var sharedCampaign: Shared<Campaign>?
    private var sharedProject: Shared<Project>?

    public init(
        key: MessageKey, contact: Contact, channel: Channel, template: String, dueAt: Date, state: MessageState,
        reason: String, project: Project? = nil, campaign: Campaign? = nil
    ) {
        self.init(
            key: key, sharedContact: Shared(contact), channel: channel, template: template, dueAt: dueAt, state: state,
            reason: reason, project: project, sharedCampaign: campaign.map(Shared.init))
    }

    /// For the planner, which makes one reference per contact and per campaign.
    init(
        key: MessageKey, sharedContact: Shared<Contact>, channel: Channel, template: String, dueAt: Date,
        state: MessageState, reason: String, project: Project?, sharedCampaign: Shared<Campaign>?
    ) {
        self.key = key
        self.sharedContact = sharedContact
        self.channel = channel
        self.template = template
        self.dueAt = dueAt
        self.state = state
        self.reason = reason
        self.sharedProject = project.map(Shared.init)
        self.sharedCampaign = sharedCampaign
    }

    public var id: String { key.id }
    public var rule: RuleID { key.rule }

    public static func == (lhs: PlannedMessage, rhs: PlannedMessage) -> Bool {
        lhs.key == rhs.key && lhs.contact == rhs.contact && lhs.channel == rhs.channel && lhs.template == rhs.template
            && lhs.dueAt == rhs.dueAt && lhs.state == rhs.state && lhs.reason == rhs.reason
            && lhs.project == rhs.project && lhs.campaign == rhs.campaign
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(key)
        hasher.combine(dueAt)
        hasher.combine(state)
    }
}

/// An immutable value held by reference, so that many holders share one copy.
final class Shared<Value: Sendable>: Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Shared values compare and hash by value, so a type holding one keeps its synthesized
/// `Hashable`.
extension Shared: Equatable where Value: Equatable {
    static func == (lhs: Shared, rhs: Shared) -> Bool { lhs === rhs || lhs.value == rhs.value }
}

extension Shared: Hashable where Value: Hashable {
    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

/// A message whose due time moves.
public struct Retiming: Sendable, Hashable {
    public var id: String
    public var dueAt: Date
    public var reason: String

    public init(id: String, dueAt: Date, reason: String) {
        self.id = id
        self.dueAt = dueAt
        self.reason = reason
    }
}

/// A message the planner withdraws.
public struct Cancellation: Sendable, Hashable {
    public var id: String
    public var reason: String

    public init(id: String, reason: String) {
        self.id = id
        self.reason = reason
    }
}

/// An open message the planner declines after all: too late to send (stale) or over a cap.
public struct Skip: Sendable, Hashable {
    public var id: String
    public var reason: String

    public init(id: String, reason: String) {
        self.id = id
        self.reason = reason
    }
}

/// Why a contact gets no message from a campaign (collected when planning with `explain`).
public struct Exclusion: Sendable, Hashable {
    public var contactID: String
    public var campaign: String
    public var reason: String

    public init(contactID: String, campaign: String, reason: String) {
        self.contactID = contactID
        self.campaign = campaign
        self.reason = reason
    }
}

/// Exactly what planning changes in the outbox.
public struct PlanDiff: Sendable {
    /// New occurrences to store.
    public var additions: [PlannedMessage] = []
    public var retimings: [Retiming] = []
    public var cancellations: [Cancellation] = []
    /// Open messages moved to `skipped`: stale after downtime, or a promotion over its cap.
    public var skips: [Skip] = []
    /// Occurrences already stored and still wanted, not yet sent: their rendered content is
    /// refreshed if the data behind it changed.
    public var unchanged: [PlannedMessage] = []

    /// Campaign recipients left out, and why; filled only when planning with `explain`.
    public var exclusions: [Exclusion] = []

    public init() {}

    /// Whether applying the diff would change any row's state or time.
    public var isEmpty: Bool { additions.isEmpty && retimings.isEmpty && cancellations.isEmpty && skips.isEmpty }

    /// How many of each change the diff holds.
    public var counts: PlanCounts {
        PlanCounts(
            additions: additions.count, retimings: retimings.count, cancellations: cancellations.count,
            skips: skips.count)
    }

    /// Appends a later piece of the same plan (see
    /// ``Planner/plan(snapshot:history:policy:now:explain:inPiecesOf:consume:)``).
    public mutating func append(_ piece: PlanDiff) {
        additions += piece.additions
        retimings += piece.retimings
        cancellations += piece.cancellations
        skips += piece.skips
        unchanged += piece.unchanged
        exclusions += piece.exclusions
    }
}

/// How many changes a plan made, counted as its pieces go by.
public struct PlanCounts: Sendable, Hashable {
    public var additions = 0
    public var retimings = 0
    public var cancellations = 0
    public var skips = 0

    public init(additions: Int = 0, retimings: Int = 0, cancellations: Int = 0, skips: Int = 0) {
        self.additions = additions
        self.retimings = retimings
        self.cancellations = cancellations
        self.skips = skips
    }

    public mutating func add(_ other: PlanCounts) {
        additions += other.additions
        retimings += other.retimings
        cancellations += other.cancellations
        skips += other.skips
    }
}
