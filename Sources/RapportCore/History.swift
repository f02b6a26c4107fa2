import Foundation

/// What the planner needs to know about one message already in the outbox.
public struct HistoryEntry: Sendable, Hashable {
    /// The message's id (``MessageKey/id``), kept as its number.
    private var idNumber: UInt64
    public var id: String { MessageKey.id(of: idNumber) }
    public var key: MessageKey
    public var state: MessageState
    public var dueAt: Date
    public var sentAt: Date?
    /// When the message reached a final state other than `sent`.
    public var closedAt: Date?
    /// Whether an operator (not the planner) closed it, e.g. cancelled a check-in by hand.
    public var closedByOperator: Bool
    /// Whether the planner skipped it as stale (too late after downtime).
    public var skippedAsStale: Bool
    /// Whether an operator set its due time (rescheduled it, made it due now, retried it):
    /// the planner then keeps that time instead of re-timing it to the schedule's.
    public var dueSetByOperator: Bool

    /// - Parameter id: the message's id as stored, which is `key`'s (``MessageKey/id``): read
    ///   instead of computed when given (a SHA-256 saved per entry of a million).
    public init(
        id: String? = nil, key: MessageKey, state: MessageState, dueAt: Date, sentAt: Date? = nil,
        closedAt: Date? = nil, closedByOperator: Bool = false, skippedAsStale: Bool = false,
        dueSetByOperator: Bool = false
    ) {
        self.skippedAsStale = skippedAsStale
        self.dueSetByOperator = dueSetByOperator
        self.idNumber = id.flatMap(MessageKey.idNumber(of:)) ?? key.idNumber
        self.key = key
        self.state = state
        self.dueAt = dueAt
        self.sentAt = sentAt
        self.closedAt = closedAt
        self.closedByOperator = closedByOperator
    }
}

/// The outbox as the planner sees it: every known message, grouped by contact.
public struct History: Sendable {
    public private(set) var byContact: [String: [HistoryEntry]]
    /// The latest touchpoint recorded through `rapport touch`, by contact id.
    public var touchpoints: [String: Date]
    /// Contacts who opted out of promotions locally (an unsubscribe link, an operator): this
    /// wins over `marketing_opt_in` in the data until an operator clears it.
    public var optedOut: Set<String>
    /// Suppressed email addresses, as ``SuppressedAddress/hash(_:)``: nothing is planned to
    /// them by email until an operator clears them.
    public var suppressed: Set<String>

    public init(
        _ entries: [HistoryEntry] = [], touchpoints: [String: Date] = [:], optedOut: Set<String> = [],
        suppressed: Set<String> = []
    ) {
        self.init(
            grouped: Dictionary(grouping: entries, by: \.key.contactID), touchpoints: touchpoints, optedOut: optedOut,
            suppressed: suppressed)
    }

    /// A history of entries already grouped by contact, each contact's in the order they were
    /// read (a store reading a million messages groups them as it reads, instead of holding
    /// them twice: as read and as grouped).
    public init(
        grouped byContact: [String: [HistoryEntry]], touchpoints: [String: Date] = [:], optedOut: Set<String> = [],
        suppressed: Set<String> = []
    ) {
        self.byContact = byContact
        self.touchpoints = touchpoints
        self.optedOut = optedOut
        self.suppressed = suppressed
    }

    public func entries(for contactID: String) -> [HistoryEntry] {
        byContact[contactID] ?? []
    }
}
