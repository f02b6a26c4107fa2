import Foundation

/// A day of the week, numbered as ISO 8601 does (Monday is 1).
public enum Weekday: Int, Sendable, CaseIterable, Comparable, Codable {
    case monday = 1
    case tuesday, wednesday, thursday, friday, saturday, sunday

    /// Parses `monday`, `Mon`, `mo` and the like.
    public init?(name: String) {
        let lowered = name.lowercased()
        guard lowered.count >= 2,
            let day = Weekday.allCases.first(where: { "\($0)".hasPrefix(lowered) })
        else { return nil }
        self = day
    }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A calendar date without a time zone, as a person in some zone reads it off a wall calendar.
///
/// Day arithmetic is done on Julian day numbers, so it needs no `Calendar`.
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`, rejecting dates that do not exist.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        self.init(year: year, month: month, day: day)
        guard LocalDate(julianDay: julianDay) == self else { return nil }
    }

    /// The date on the wall calendar in `zone` at `instant`.
    public init(_ instant: Date, in zone: TimeZone) {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        self.init(julianDay: days + 2_440_588)
    }

    init(julianDay: Int) {
        // Richards' algorithm, proleptic Gregorian calendar.
        let f = julianDay + 1401 + (((4 * julianDay + 274_277) / 146_097) * 3) / 4 - 38
        let e = 4 * f + 3
        let g = (e % 1461) / 4
        let h = 5 * g + 2
        day = (h % 153) / 5 + 1
        month = ((h / 153 + 2) % 12) + 1
        year = e / 1461 - 4716 + (14 - month) / 12
    }

    var julianDay: Int {
        let a = (14 - month) / 12
        let y = year + 4800 - a
        let m = month + 12 * a - 3
        return day + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045
    }

    public func adding(days: Int) -> LocalDate {
        LocalDate(julianDay: julianDay + days)
    }

    /// The same day `months` months later, for the first of a month (other days may overflow
    /// into the next month).
    func adding(months: Int) -> LocalDate {
        let index = year * 12 + month - 1 + months
        return LocalDate(year: index / 12, month: index % 12 + 1, day: day)
    }

    /// The number of days in this date's month.
    public var daysInMonth: Int {
        LocalDate(year: year, month: month, day: 1).adding(months: 1).julianDay
            - LocalDate(year: year, month: month, day: 1).julianDay
    }

    /// Whole days from `self` to `other`.
    public func days(until other: LocalDate) -> Int {
        other.julianDay - julianDay
    }

    public var weekday: Weekday {
        Weekday(rawValue: julianDay % 7 + 1)!
    }

    /// The instant this date shows `time` on a wall clock in `zone`.
    ///
    /// A time that does not exist (the spring-forward gap) resolves to the first valid instant
    /// after the gap; a repeated time (fall back) to its first occurrence (see ``ZoneClock``).
    public func at(_ time: LocalTime, in zone: TimeZone) -> Date {
        ZoneClock(zone).instant(self, hour: time.hour, minute: time.minute)
    }

    /// The first instant of this date in `zone`.
    public func start(in zone: TimeZone) -> Date {
        at(LocalTime(hour: 0, minute: 0), in: zone)
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(10)
        bytes.appendDigits(year, width: 4)
        bytes.append(UInt8(ascii: "-"))
        bytes.appendDigits(month, width: 2)
        bytes.append(UInt8(ascii: "-"))
        bytes.appendDigits(day, width: 2)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A time of day on a wall clock, to the minute.
public struct LocalTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    // A byte each, not an `Int` each: every contact may carry one (`checkin_time`), and two
    // `Int`s made a contact 16 bytes larger.
    private var hourByte: UInt8
    private var minuteByte: UInt8

    /// 0 to 23.
    public var hour: Int {
        get { Int(hourByte) }
        set { hourByte = UInt8(clamping: newValue) }
    }

    /// 0 to 59.
    public var minute: Int {
        get { Int(minuteByte) }
        set { minuteByte = UInt8(clamping: newValue) }
    }

    public init(hour: Int, minute: Int) {
        hourByte = UInt8(clamping: hour)
        minuteByte = UInt8(clamping: minute)
    }

    /// Parses `HH:MM` (24-hour clock).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[1].count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        self.init(hour: hour, minute: minute)
    }

    /// The wall-clock time in `zone` at `instant`, to the minute.
    public init(_ instant: Date, in zone: TimeZone) {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)
        let ofDay = ((seconds % 86_400) + 86_400) % 86_400
        self.init(hour: ofDay / 3600, minute: (ofDay % 3600) / 60)
    }

    var minutes: Int { hour * 60 + minute }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool { lhs.minutes < rhs.minutes }

    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(5)
        bytes.appendDigits(hour, width: 2)
        bytes.append(UInt8(ascii: ":"))
        bytes.appendDigits(minute, width: 2)
        return String(decoding: bytes, as: UTF8.self)
    }
}
