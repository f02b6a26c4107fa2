import Foundation

/// How a message reaches its recipient.
public enum Channel: String, Sendable, Codable, CaseIterable {
    case email
    case webhook
}

/// The days and hours in which a rule may send, on the recipient's wall clock.
public struct SendingWindow: Sendable, Hashable {
    public var days: Set<Weekday>
    public var opens: LocalTime
    public var closes: LocalTime

    public init(days: Set<Weekday>, opens: LocalTime, closes: LocalTime) {
        self.days = days
        self.opens = opens
        self.closes = closes
    }

    /// Monday to Friday, 09:00 to 17:00.
    public static let businessHours = SendingWindow(
        days: [.monday, .tuesday, .wednesday, .thursday, .friday],
        opens: LocalTime(hour: 9, minute: 0), closes: LocalTime(hour: 17, minute: 0))

    /// The first instant at or after `instant` that is inside the window, preferring `preferred`
    /// on the first open day.
    ///
    /// If `instant` falls inside the window after the preferred time, the message goes at once
    /// (rounded up to the minute) rather than waiting a day.
    public func firstSlot(onOrAfter instant: Date, preferred: LocalTime, in zone: TimeZone) -> Date {
        let today = LocalDate(instant, in: zone)
        for offset in 0..<15 {
            let day = today.adding(days: offset)
            guard days.contains(day.weekday) else { continue }
            let candidate = day.at(preferred, in: zone)
            if candidate >= instant { return candidate }
            if offset == 0, instant < day.at(closes, in: zone), instant >= day.at(opens, in: zone) {
                return Date(timeIntervalSince1970: (instant.timeIntervalSince1970 / 60).rounded(.up) * 60)
            }
        }
        return instant
    }
}

/// Regular check-ins for clients.
public struct CheckinRule: Sendable, Hashable {
    public var enabled = true
    /// The cadence by client tier (lower-case tier names).
    public var everyByTier: [String: Cadence] = ["gold": .days(7), "silver": .days(14), "standard": .days(30)]
    /// The cadence for a client whose tier is not listed.
    public var defaultEvery = Cadence.days(30)
    public var sendAt = LocalTime(hour: 10, minute: 0)
    public var window = SendingWindow.businessHours
    public var channel = Channel.email
    public var template = "client-checkin"
    public var requiresApproval = false
    /// How late a check-in may still go out after its due time (after downtime); later, it
    /// is skipped as stale and planned again. `nil`: never stale.
    public var maxLateness: TimeInterval? = 86_400

    public init() {}

    /// The cadence for a client: its own `checkin_every`, else its tier's, else the default.
    public func cadence(for contact: Contact) -> Cadence {
        contact.checkinEvery ?? contact.tier.flatMap { everyByTier[$0.lowercased()] } ?? defaultEvery
    }
}

/// Progress reports for each active project of a client: weekly on `weekday`, or on
/// `schedule` (an RRULE).
public struct ProgressRule: Sendable, Hashable {
    public var enabled = true
    public var weekday = Weekday.monday
    public var sendAt = LocalTime(hour: 9, minute: 30)
    /// A recurrence rule instead of `weekday`/`sendAt`, e.g. `FREQ=WEEKLY;INTERVAL=2;BYDAY=FR`.
    /// Its time of day is `BYHOUR`/`BYMINUTE`, else `sendAt`. `INTERVAL` counts from
    /// 2001-01-01 (a Monday), so the phase does not depend on when planning ran.
    public var schedule: Recurrence?
    public var window = SendingWindow.businessHours
    public var channel = Channel.email
    public var template = "progress-report"
    public var requiresApproval = false
    public var maxLateness: TimeInterval? = 86_400

    public init() {}
}

/// Which customers a campaign is for: all of the given conditions hold (an empty one holds).
public struct Segment: Sendable, Hashable {
    /// Customers with at least one of these tags.
    public var tags: [String] = []
    /// Customers of one of these tiers (lower case).
    public var tiers: [String] = []
    /// Customers whose last purchase was on or after this date (their local calendar).
    public var purchasedOnOrAfter: LocalDate?
    /// Customers whose last purchase was before this date; customers without a purchase count.
    public var purchasedBefore: LocalDate?

    public init() {}

    /// Why `contact` is outside the segment, or `nil` when it is inside.
    public func exclusion(of contact: Contact) -> String? {
        if !tags.isEmpty && Set(tags).isDisjoint(with: contact.tags) {
            return "not in segment: no tag of \(tags.joined(separator: ", "))"
        }
        if !tiers.isEmpty && !tiers.contains(contact.tier?.lowercased() ?? "") {
            return "not in segment: tier is not \(tiers.joined(separator: " or "))"
        }
        let purchase = contact.lastPurchaseAt.map { LocalDate($0, in: contact.timeZone) }
        if let after = purchasedOnOrAfter, purchase.map({ $0 < after }) ?? true {
            return "not in segment: no purchase since \(after)"
        }
        if let before = purchasedBefore, let purchase, purchase >= before {
            return "not in segment: purchased on \(purchase), not before \(before)"
        }
        return nil
    }
}

/// A promotion offered to opted-in customers during a window of dates.
public struct Campaign: Sendable, Hashable {
    public var name: String
    /// First day (in each customer's own time zone) the promotion may be sent.
    public var starts: LocalDate
    /// Last day it may be sent.
    public var ends: LocalDate
    public var segment = Segment()
    /// Customers with at least one of these tags; empty means every opted-in customer.
    public var tags: [String] {
        get { segment.tags }
        set { segment.tags = newValue }
    }
    public var sendAt = LocalTime(hour: 11, minute: 0)
    public var window = SendingWindow.businessHours
    public var channel = Channel.email
    public var template = "promotion"
    /// Promotions go to an operator for approval unless a campaign says otherwise.
    public var requiresApproval = true
    /// At most this many of the campaign's messages fall in any one clock hour (UTC); later
    /// recipients are spread into the following open slots. `nil`: no limit.
    public var maxPerHour: Int?
    public var maxLateness: TimeInterval? = 86_400

    public init(name: String, starts: LocalDate, ends: LocalDate) {
        self.name = name
        self.starts = starts
        self.ends = ends
    }
}

/// Everything the planner needs to decide who hears from the business, and when.
public struct Policy: Sendable, Hashable {
    /// How far ahead messages are planned (and so can be reviewed).
    public var horizonDays = 30
    public var checkin = CheckinRule()
    public var progress = ProgressRule()
    public var campaigns: [Campaign] = []
    /// The least number of days between two promotions to one customer: a cap of one
    /// promotion per this many days (0: none).
    public var promotionMinIntervalDays = 30
    /// Per-contact caps across all rules and channels, in the contact's local calendar.
    public var caps: [FatigueCap] = [FatigueCap(count: 3, days: 7)]
    /// No message is sent in these hours of the recipient's day, whatever the rule's window.
    public var quietHours: QuietHours?
    public var holidays = HolidayCalendar()
    /// Messages are spread over this many minutes after their preferred time, by a stable
    /// hash of the contact's id (0 or 1: no spreading).
    public var staggerMinutes = 60
    /// How far ahead of its due time a message is rendered. A message due later is stored
    /// with its time and recipient only and rendered by a later plan, from the data as it is
    /// then; one that needs approval is always rendered at once, so that what an operator
    /// reviews is exactly what is sent. The daemon plans at least every 15 minutes.
    public var renderAheadHours = 48

    public init() {}

    /// `caps` plus the promotion interval as a cap.
    public var effectiveCaps: [FatigueCap] {
        caps
            + (promotionMinIntervalDays > 0
                ? [FatigueCap(count: 1, days: promotionMinIntervalDays, kind: .promotion)] : [])
    }

    /// The lateness bound of a rule kind (campaigns: the campaign's own).
    public func maxLateness(for rule: RuleID) -> TimeInterval? {
        switch rule.kind {
        case .checkin: checkin.maxLateness
        case .progress: progress.maxLateness
        case .promotion: campaigns.first { $0.name == rule.subject }?.maxLateness ?? 86_400
        }
    }
}
