import Foundation

/// Whether a person is a long-term client or a transactional customer.
///
/// The distinction drives everything Rapport plans: clients get regular check-ins and progress
/// reports, customers get at most an occasional promotion they opted in to.
public enum ContactKind: String, Sendable, Codable, CaseIterable {
    case client
    case customer
}

/// The person at the business who owns a client relationship and signs its messages.
public struct AccountManager: Sendable, Hashable, Codable {
    public var name: String
    public var email: String?

    public init(name: String, email: String?) {
        self.name = name
        self.email = email
    }
}

/// The state of a client's project, as exported from the CRM.
public enum ProjectStatus: String, Sendable, Codable, CaseIterable {
    case active
    case paused
    case completed
    case cancelled
}

/// A client's project; active projects get a weekly progress report.
public struct Project: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var status: ProjectStatus
    /// Percent complete, 0 to 100.
    public var progress: Int
    public var nextMilestone: String?
    /// A calendar date (`YYYY-MM-DD`), without a time zone.
    public var dueDate: String?

    public init(
        id: String, name: String, status: ProjectStatus, progress: Int, nextMilestone: String? = nil,
        dueDate: String? = nil
    ) {
        self.id = id
        self.name = name
        self.status = status
        self.progress = progress
        self.nextMilestone = nextMilestone
        self.dueDate = dueDate
    }
}

/// Whether Rapport may write to a contact at all.
public enum ContactStatus: String, Sendable, Codable, CaseIterable {
    /// Messages are planned as the rules say.
    case active
    /// A client on pause: no check-ins or progress reports until active again.
    case paused
    /// The contact asked not to be written to: nothing is planned.
    case unsubscribed
}

/// One person in the relationship data, validated.
public struct Contact: Sendable, Hashable {
    // Stored widest first, the one-byte fields together before the dates: a contact is 184
    // bytes inline (`MemoryLayout.stride`; 264 in the order they were first declared, 224 with
    // the account manager inline and a check-in time of two `Int`s), and a million are held at
    // once.
    public var id: String
    public var name: String
    public var email: String?
    /// The IANA identifier of the contact's time zone, e.g. `Europe/London`.
    public var timeZone: TimeZone
    /// Held by reference, one copy per manager (``accountManager``): customers have none, and
    /// inline it took 32 bytes of every contact.
    var sharedAccountManager: Shared<AccountManager>?
    public var tier: String?
    /// The holiday region (`region`), e.g. `gb`; else the configured default.
    public var region: String?
    public var tags: [String]
    public var projects: [Project]
    /// Held by reference: few contacts have one, and inline it took 112 of a contact's 368
    /// bytes (a plan holds a million contacts, twice).
    private var sharedCheckinEvery: Shared<Cadence>?
    /// Channel, language and check-in day and time, from the data.
    public var preferences: ContactPreferences
    public var kind: ContactKind
    public var marketingOptIn: Bool
    public var status: ContactStatus
    /// The last real touchpoint (a meeting, a call) recorded in the CRM.
    public var lastContactAt: Date?
    /// The customer's last purchase (`last_purchase_at`), for campaign segments.
    public var lastPurchaseAt: Date?
    /// The client's own check-in cadence (`checkin_every`), over its tier's.
    /// The person at the business who owns the relationship.
    public var accountManager: AccountManager? {
        get { sharedAccountManager?.value }
        set { sharedAccountManager = newValue.map(Shared.init) }
    }
    public var checkinEvery: Cadence? {
        get { sharedCheckinEvery?.value }
        set { sharedCheckinEvery = newValue.map(Shared.init) }
    }

    public init(
        id: String, name: String, email: String?, kind: ContactKind, timeZone: TimeZone,
        accountManager: AccountManager? = nil, tier: String? = nil, marketingOptIn: Bool = false,
        lastContactAt: Date? = nil, tags: [String] = [], projects: [Project] = [], status: ContactStatus = .active,
        checkinEvery: Cadence? = nil, region: String? = nil, lastPurchaseAt: Date? = nil,
        preferences: ContactPreferences = ContactPreferences()
    ) {
        self.preferences = preferences
        self.status = status
        self.sharedCheckinEvery = checkinEvery.map(Shared.init)
        self.region = region
        self.lastPurchaseAt = lastPurchaseAt
        self.id = id
        self.name = name
        self.email = email
        self.kind = kind
        self.timeZone = timeZone
        self.sharedAccountManager = accountManager.map(Shared.init)
        self.tier = tier
        self.marketingOptIn = marketingOptIn
        self.lastContactAt = lastContactAt
        self.tags = tags
        self.projects = projects
    }

    /// The first word of the name, for a friendly greeting.
    public var firstName: String {
        name.split(separator: " ").first.map(String.init) ?? name
    }
}
