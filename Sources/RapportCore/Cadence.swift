import Foundation

/// How often a client hears from the business: a fixed spacing (`14d`, `2w`, `1mo`) counted
/// from the last touchpoint in the client's local calendar, or an RFC 5545 recurrence rule.
public enum Cadence: Sendable, Hashable, CustomStringConvertible {
    case days(Int)
    case months(Int)
    /// An RRULE expanded in the client's zone from the last touchpoint; the next check-in is
    /// the first occurrence at least half the rule's nominal period after it.
    case rule(Recurrence)

    /// Parses `14d`, `2w`, `1mo`, `1y`, a bare number of days, or RRULE text (`FREQ=…`).
    public init(parsing text: String) throws(RecurrenceError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed.contains("freq=") {
            self = .rule(try Recurrence(parsing: text))
            return
        }
        let digits = trimmed.prefix { $0.isNumber }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        guard let number = Int(digits), (1...3660).contains(number) else {
            throw RecurrenceError(text, "expected a spacing such as \"14d\", \"2w\", \"1mo\" or an RRULE")
        }
        switch unit {
        case "", "d", "day", "days": self = .days(number)
        case "w", "week", "weeks": self = .days(number * 7)
        case "mo", "month", "months": self = .months(number)
        case "y", "year", "years": self = .months(number * 12)
        default:
            throw RecurrenceError(text, "unknown unit '\(unit)'; use d, w, mo or y")
        }
    }

    public var description: String {
        switch self {
        case .days(let days): "every \(days) day\(days == 1 ? "" : "s")"
        case .months(let months): "every \(months) month\(months == 1 ? "" : "s")"
        case .rule(let rule): "on \(rule.text)"
        }
    }

    /// The nominal spacing in days (a month counts 30), for "is this client overdue?".
    public var nominalDays: Int {
        switch self {
        case .days(let days): days
        case .months(let months): 30 * months
        case .rule(let rule): rule.nominalDays
        }
    }

    /// The first local date on which the next check-in may fall, for a touchpoint on `anchor`.
    func earliestDate(after anchor: LocalDate) -> LocalDate {
        switch self {
        case .days(let days): return anchor.adding(days: days)
        case .months(let months):
            // The same day of the month, or the month's last day when it is shorter.
            let first = LocalDate(year: anchor.year, month: anchor.month, day: 1).adding(months: months)
            return LocalDate(year: first.year, month: first.month, day: min(anchor.day, first.daysInMonth))
        case .rule(let rule): return anchor.adding(days: max(1, (rule.nominalDays + 1) / 2))
        }
    }
}

extension Recurrence {
    /// The rule's nominal spacing in days (INTERVAL × 1, 7, 30 or 365).
    var nominalDays: Int {
        switch frequency {
        case .daily: interval
        case .weekly: 7 * interval
        case .monthly: 30 * interval
        case .yearly: 365 * interval
        }
    }
}
