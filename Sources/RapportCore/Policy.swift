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
    /// Days between check-ins, by client tier.
    public var everyDaysByTier: [String: Int] = ["gold": 7, "silver": 14, "standard": 30]
    /// Days between check-ins for a client whose tier is not listed.
    public var defaultEveryDays = 30
    public var sendAt = LocalTime(hour: 10, minute: 0)
    public var window = SendingWindow.businessHours
    public var channel = Channel.email
    public var template = "client-checkin"
    public var requiresApproval = false

    public init() {}

    /// The cadence for a client of `tier`.
    public func everyDays(tier: String?) -> Int {
        tier.flatMap { everyDaysByTier[$0.lowercased()] } ?? defaultEveryDays
    }
}

/// Weekly progress reports for each active project of a client.
public struct ProgressRule: Sendable, Hashable {
    public var enabled = true
    public var weekday = Weekday.monday
    public var sendAt = LocalTime(hour: 9, minute: 30)
    public var channel = Channel.email
    public var template = "progress-report"
    public var requiresApproval = false

    public init() {}
}

/// A promotion offered to opted-in customers during a window of dates.
public struct Campaign: Sendable, Hashable {
    public var name: String
    /// First day (in each customer's own time zone) the promotion may be sent.
    public var starts: LocalDate
    /// Last day it may be sent.
    public var ends: LocalDate
    /// Customers with at least one of these tags; empty means every opted-in customer.
    public var tags: [String] = []
    public var sendAt = LocalTime(hour: 11, minute: 0)
    public var window = SendingWindow.businessHours
    public var channel = Channel.email
    public var template = "promotion"
    /// Promotions go to an operator for approval unless a campaign says otherwise.
    public var requiresApproval = true

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
    /// The least number of days between two promotions to one customer.
    public var promotionMinIntervalDays = 30

    public init() {}
}
