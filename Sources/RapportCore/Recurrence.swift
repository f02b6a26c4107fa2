import Foundation

/// A problem in a recurrence rule's text, naming the part at fault.
public struct RecurrenceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var problem: String

    public init(_ text: String, _ problem: String) {
        self.text = text
        self.problem = problem
    }

    public var description: String { "'\(text)': \(problem)" }
}

/// A weekday in a `BYDAY` list, with an optional ordinal (`1MO`, `-1FR`).
public struct RecurrenceWeekday: Sendable, Hashable {
    public var weekday: Weekday
    /// `nil` for every such weekday of the period; otherwise the n-th (negative: from the end).
    public var ordinal: Int?

    public init(_ weekday: Weekday, ordinal: Int? = nil) {
        self.weekday = weekday
        self.ordinal = ordinal
    }
}

/// An RFC 5545 recurrence rule (the `RRULE` value), parsed and validated.
///
/// Supported parts: `FREQ` (DAILY, WEEKLY, MONTHLY, YEARLY), `INTERVAL`, `BYDAY` (with
/// ordinals), `BYMONTHDAY`, `BYMONTH`, `BYHOUR`, `BYMINUTE`, `BYSETPOS`, `COUNT`, `UNTIL`
/// and `WKST`. Times are wall-clock times in the zone the rule is expanded in.
public struct Recurrence: Sendable, Hashable, CustomStringConvertible {
    /// The base period of the rule.
    public enum Frequency: String, Sendable, Hashable, CaseIterable {
        case daily = "DAILY"
        case weekly = "WEEKLY"
        case monthly = "MONTHLY"
        case yearly = "YEARLY"
    }

    public var frequency: Frequency
    public var interval = 1
    public var byDay: [RecurrenceWeekday] = []
    public var byMonthDay: [Int] = []
    public var byMonth: [Int] = []
    public var byHour: [Int] = []
    public var byMinute: [Int] = []
    public var bySetPosition: [Int] = []
    public var count: Int?
    public var until: Date?
    public var weekStart = Weekday.monday
    /// The text the rule was parsed from, for messages and reasons.
    public var text: String

    public init(frequency: Frequency, text: String? = nil) {
        self.frequency = frequency
        self.text = text ?? "FREQ=\(frequency.rawValue)"
    }

    public var description: String { text }

    /// Parses `FREQ=WEEKLY;BYDAY=MO,TH;…` (an `RRULE:` prefix is accepted).
    public init(parsing source: String) throws(RecurrenceError) {
        var body = source.trimmingCharacters(in: .whitespaces)
        if body.uppercased().hasPrefix("RRULE:") { body = String(body.dropFirst(6)) }
        var parts: [String: String] = [:]
        for part in body.split(separator: ";", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", maxSplits: 1).map { String($0).uppercased() }
            guard pair.count == 2, !pair[1].isEmpty else {
                throw RecurrenceError(source, "'\(part)' is not NAME=VALUE")
            }
            guard parts.updateValue(pair[1], forKey: pair[0]) == nil else {
                throw RecurrenceError(source, "\(pair[0]) appears twice")
            }
        }
        guard let freqText = parts.removeValue(forKey: "FREQ") else {
            throw RecurrenceError(source, "FREQ is required")
        }
        guard let frequency = Frequency(rawValue: freqText) else {
            throw RecurrenceError(source, "FREQ=\(freqText) is not DAILY, WEEKLY, MONTHLY or YEARLY")
        }
        self.init(frequency: frequency, text: source.trimmingCharacters(in: .whitespaces))
        func numbers(_ name: String, _ range: ClosedRange<Int>, nonZero: Bool = false) throws(RecurrenceError) -> [Int]
        {
            guard let value = parts.removeValue(forKey: name) else { return [] }
            var result: [Int] = []
            for item in value.split(separator: ",") {
                guard let number = Int(item), range.contains(number), !(nonZero && number == 0) else {
                    throw RecurrenceError(source, "\(name): '\(item)' is out of range \(range)")
                }
                result.append(number)
            }
            return result
        }
        if let value = parts.removeValue(forKey: "INTERVAL") {
            guard let number = Int(value), (1...1000).contains(number) else {
                throw RecurrenceError(source, "INTERVAL must be a number from 1 to 1000")
            }
            interval = number
        }
        if let value = parts.removeValue(forKey: "COUNT") {
            guard let number = Int(value), number >= 1 else { throw RecurrenceError(source, "COUNT must be positive") }
            count = number
        }
        if let value = parts.removeValue(forKey: "UNTIL") {
            guard let date = Self.parseUntil(value) else {
                throw RecurrenceError(source, "UNTIL=\(value) is not YYYYMMDD or YYYYMMDDTHHMMSSZ")
            }
            until = date
        }
        if count != nil && until != nil { throw RecurrenceError(source, "COUNT and UNTIL cannot both be given") }
        if let value = parts.removeValue(forKey: "WKST") {
            guard let day = Self.weekday(code: value) else {
                throw RecurrenceError(source, "WKST=\(value) is not a day")
            }
            weekStart = day
        }
        byMonthDay = try numbers("BYMONTHDAY", -31...31, nonZero: true)
        byMonth = try numbers("BYMONTH", 1...12)
        byHour = try numbers("BYHOUR", 0...23)
        byMinute = try numbers("BYMINUTE", 0...59)
        bySetPosition = try numbers("BYSETPOS", -366...366, nonZero: true)
        if let value = parts.removeValue(forKey: "BYDAY") {
            for item in value.split(separator: ",") {
                let code = String(item.suffix(2))
                let ordinalText = item.dropLast(2)
                guard let day = Self.weekday(code: code) else {
                    throw RecurrenceError(source, "BYDAY: '\(item)' is not a day such as MO, 1MO or -1FR")
                }
                var ordinal: Int?
                if !ordinalText.isEmpty {
                    guard let number = Int(ordinalText.hasPrefix("+") ? ordinalText.dropFirst() : ordinalText),
                        number != 0, abs(number) <= 53
                    else { throw RecurrenceError(source, "BYDAY: '\(item)' has a bad ordinal") }
                    guard frequency == .monthly || frequency == .yearly else {
                        throw RecurrenceError(source, "BYDAY ordinals such as '\(item)' need FREQ=MONTHLY or YEARLY")
                    }
                    guard frequency == .monthly || abs(number) <= 5 || byMonth.isEmpty else {
                        throw RecurrenceError(source, "BYDAY: '\(item)' is beyond the weeks of a month")
                    }
                    ordinal = number
                }
                byDay.append(RecurrenceWeekday(day, ordinal: ordinal))
            }
        }
        if !bySetPosition.isEmpty && byDay.isEmpty && byMonthDay.isEmpty && byMonth.isEmpty && byHour.isEmpty
            && byMinute.isEmpty
        {
            throw RecurrenceError(source, "BYSETPOS needs another BYxxx part")
        }
        if frequency == .weekly && !byMonthDay.isEmpty {
            throw RecurrenceError(source, "BYMONTHDAY cannot be used with FREQ=WEEKLY")
        }
        if let unknown = parts.keys.sorted().first {
            throw RecurrenceError(source, "\(unknown) is not supported")
        }
    }

    static let weekdayCodes: [String: Weekday] = [
        "MO": .monday, "TU": .tuesday, "WE": .wednesday, "TH": .thursday, "FR": .friday, "SA": .saturday,
        "SU": .sunday,
    ]

    static func weekday(code: String) -> Weekday? { weekdayCodes[code.uppercased()] }

    /// `YYYYMMDD` (midnight UTC, inclusive through that day's end in UTC) or `YYYYMMDDTHHMMSSZ`.
    static func parseUntil(_ text: String) -> Date? {
        let digits = text.filter(\.isNumber)
        guard digits.count == 8 || digits.count == 14 else { return nil }
        if digits.count == 8 && text.count != 8 { return nil }
        if digits.count == 14 && !(text.count == 16 && text.hasSuffix("Z") && text.dropFirst(8).first == "T") {
            return nil
        }
        let chars = Array(digits)
        func number(_ range: Range<Int>) -> Int { Int(String(chars[range]))! }
        guard
            let date = LocalDate(
                parsing: String(format: "%04d-%02d-%02d", number(0..<4), number(4..<6), number(6..<8)))
        else { return nil }
        var seconds = Double(date.julianDay - 2_440_588) * 86_400
        if digits.count == 14 {
            let (hour, minute, second) = (number(8..<10), number(10..<12), number(12..<14))
            guard hour < 24, minute < 60, second < 60 else { return nil }
            seconds += Double(hour * 3600 + minute * 60 + second)
        } else {
            seconds += 86_399
        }
        return Date(timeIntervalSince1970: seconds)
    }
}
