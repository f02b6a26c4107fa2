import Foundation

// Expansion is Rapport's own, on wall-clock dates (Julian day numbers), not Foundation's
// `Calendar.RecurrenceRule`: on Swift 6.3.1 for Linux that type expands `FREQ=MONTHLY;BYDAY=MO`
// (and YEARLY with BYMONTH and a plain BYDAY) to the *first* Monday of each month only, and
// picks BYSETPOS positions from that wrong set. Both are common cadences, so they must be
// right; working on plain integers also keeps planning free of per-occurrence `Calendar` work.
// The result is cross-checked against python-dateutil's `rrulestr` in the tests.

/// A wall-clock date and time of one occurrence, before it is placed in a zone.
public struct WallTime: Sendable, Hashable, Comparable {
    public var date: LocalDate
    /// Seconds after local midnight.
    public var second: Int

    public init(date: LocalDate, second: Int) {
        self.date = date
        self.second = second
    }

    public static func < (lhs: WallTime, rhs: WallTime) -> Bool {
        (lhs.date.julianDay, lhs.second) < (rhs.date.julianDay, rhs.second)
    }
}

extension Recurrence {
    /// Every occurrence of the rule from `start` (its `DTSTART`, whose wall-clock date and time
    /// supply what the rule leaves open), placed in `zone` and in order, ending at
    /// `COUNT`/`UNTIL`, at `latest` if given, or after 400 years. Lazy: take what you need.
    ///
    /// A wall-clock time inside a spring-forward gap fires at the first instant after the
    /// gap; a repeated (fall-back) time fires once, at the first; two wall-clock times that
    /// resolve to one instant fire once.
    public func occurrences(from start: Date, in zone: TimeZone, latest: Date? = nil) -> RecurrenceSequence {
        let clock = ZoneClock(zone)
        let local = clock.localSeconds(start).rounded(.down)
        let day = Int((local / 86_400).rounded(.down))
        let wall = WallTime(date: LocalDate(julianDay: day + 2_440_588), second: Int(local) - day * 86_400)
        return RecurrenceSequence(rule: self, start: wall, clock: clock, latest: latest)
    }

    /// The wall-clock occurrences from `start`, without zone: `COUNT` applies, `UNTIL` does not
    /// (it is an instant).
    func wallTimes(from start: WallTime) -> WallTimeIterator {
        WallTimeIterator(rule: normalized(for: start), start: start)
    }

    /// Fills in what `DTSTART` implies when the rule leaves the days open (RFC 5545 §3.3.10).
    func normalized(for start: WallTime) -> Recurrence {
        var rule = self
        switch frequency {
        case .yearly where byDay.isEmpty && byMonthDay.isEmpty:
            if rule.byMonth.isEmpty { rule.byMonth = [start.date.month] }
            rule.byMonthDay = [start.date.day]
        case .monthly where byDay.isEmpty && byMonthDay.isEmpty:
            rule.byMonthDay = [start.date.day]
        case .weekly where byDay.isEmpty:
            rule.byDay = [RecurrenceWeekday(start.date.weekday)]
        default:
            break
        }
        if rule.byHour.isEmpty { rule.byHour = [start.second / 3600] }
        if rule.byMinute.isEmpty { rule.byMinute = [start.second % 3600 / 60] }
        return rule
    }
}

/// Wall-clock occurrences of a normalized rule, period by period.
struct WallTimeIterator: IteratorProtocol {
    let rule: Recurrence
    let start: WallTime
    let times: [Int]
    /// The current period's index (see ``Recurrence/periodIndex(of:)``).
    var period: Int
    var buffer: [WallTime] = []
    var emitted = 0
    var emptyPeriods = 0
    var finished = false

    init(rule: Recurrence, start: WallTime) {
        self.rule = rule
        self.start = start
        let second = start.second % 60
        var times: [Int] = []
        for hour in Set(rule.byHour).sorted() {
            for minute in Set(rule.byMinute).sorted() { times.append(hour * 3600 + minute * 60 + second) }
        }
        self.times = times
        self.period = rule.periodIndex(of: start.date)
    }

    mutating func next() -> WallTime? {
        while !finished {
            if !buffer.isEmpty {
                let value = buffer.removeFirst()
                emitted += 1
                if let count = rule.count, emitted >= count { finished = true }
                return value
            }
            fill()
        }
        return nil
    }

    /// Expands one period (and steps to the next), keeping occurrences at or after `start`.
    private mutating func fill() {
        let days = rule.days(inPeriod: period)
        var set: [WallTime] = []
        set.reserveCapacity(days.count * times.count)
        for day in days {
            for time in times { set.append(WallTime(date: day, second: time)) }
        }
        if !rule.bySetPosition.isEmpty {
            var picked: Set<WallTime> = []
            for position in rule.bySetPosition {
                let index = position > 0 ? position - 1 : set.count + position
                if set.indices.contains(index) { picked.insert(set[index]) }
            }
            set = picked.sorted()
        }
        buffer = set.filter { $0 >= start }
        emptyPeriods = buffer.isEmpty ? emptyPeriods + 1 : 0
        period += rule.interval * (rule.frequency == .weekly ? 7 : 1)
        // A rule that can never match (BYMONTHDAY=30;BYMONTH=2) ends instead of spinning.
        if emptyPeriods > 5_000 || rule.yearOf(period: period) > start.date.year + 400 { finished = true }
    }
}

extension Recurrence {
    /// A number for the period (day, week starting on `WKST`, month, year) containing `date`,
    /// consecutive periods being consecutive numbers.
    func periodIndex(of date: LocalDate) -> Int {
        switch frequency {
        case .daily: return date.julianDay
        case .weekly:
            // The Julian day of the week's first day (on WKST).
            return date.julianDay - (date.weekday.rawValue - weekStart.rawValue + 7) % 7
        case .monthly: return date.year * 12 + date.month - 1
        case .yearly: return date.year
        }
    }

    func yearOf(period: Int) -> Int {
        switch frequency {
        case .daily: return LocalDate(julianDay: period).year
        case .weekly: return LocalDate(julianDay: period).year
        case .monthly: return period / 12
        case .yearly: return period
        }
    }

    /// The days of one period that match the rule's BYMONTH, BYMONTHDAY and BYDAY parts.
    func days(inPeriod period: Int) -> [LocalDate] {
        switch frequency {
        case .daily:
            let day = LocalDate(julianDay: period)
            return matches(day, scope: nil) ? [day] : []
        case .weekly:
            return (0..<7).map { LocalDate(julianDay: period + $0) }.filter { matches($0, scope: nil) }
        case .monthly:
            let first = LocalDate(year: period / 12, month: period % 12 + 1, day: 1)
            let month = first.julianDay..<first.adding(months: 1).julianDay
            return month.map(LocalDate.init(julianDay:)).filter { matches($0, scope: month) }
        case .yearly:
            let first = LocalDate(year: period, month: 1, day: 1)
            let year = first.julianDay..<LocalDate(year: period + 1, month: 1, day: 1).julianDay
            return year.map(LocalDate.init(julianDay:)).filter { day in
                guard byMonth.isEmpty || byMonth.contains(day.month) else { return false }
                // Ordinal weekdays count within each BYMONTH month, else within the year.
                let scope: Range<Int>
                if byMonth.isEmpty {
                    scope = year
                } else {
                    let start = LocalDate(year: day.year, month: day.month, day: 1)
                    scope = start.julianDay..<start.adding(months: 1).julianDay
                }
                return matches(day, scope: scope)
            }
        }
    }

    /// Whether `day` passes the filters; `scope` is the month or year ordinals count in.
    private func matches(_ day: LocalDate, scope: Range<Int>?) -> Bool {
        if !byMonth.isEmpty && !byMonth.contains(day.month) { return false }
        if !byMonthDay.isEmpty {
            let length = day.daysInMonth
            guard byMonthDay.contains(where: { $0 > 0 ? $0 == day.day : length + $0 + 1 == day.day }) else {
                return false
            }
        }
        if !byDay.isEmpty {
            let weekday = day.weekday
            let matched = byDay.contains { entry in
                guard entry.weekday == weekday else { return false }
                guard let ordinal = entry.ordinal, let scope else { return true }
                if ordinal > 0 {
                    return (day.julianDay - scope.lowerBound) / 7 == ordinal - 1
                }
                return (scope.upperBound - 1 - day.julianDay) / 7 == -ordinal - 1
            }
            if !matched { return false }
        }
        return true
    }
}

/// The occurrences of a ``Recurrence`` in a zone, as instants.
public struct RecurrenceSequence: Sequence, Sendable {
    let rule: Recurrence
    let start: WallTime
    let clock: ZoneClock
    let latest: Date?

    public func makeIterator() -> Iterator {
        Iterator(walls: rule.wallTimes(from: start), clock: clock, until: rule.until, latest: latest)
    }

    /// Yields instants in order, once each.
    public struct Iterator: IteratorProtocol {
        var walls: WallTimeIterator
        let clock: ZoneClock
        let until: Date?
        let latest: Date?
        var last: Date?

        public mutating func next() -> Date? {
            while let wall = walls.next() {
                let instant = clock.instant(wall.date, hour: 0, minute: 0, second: wall.second)
                if let until, instant > until { return nil }
                if let latest, instant > latest { return nil }
                if let last, instant <= last { continue }
                last = instant
                return instant
            }
            return nil
        }
    }
}

extension Recurrence {
    /// A `DTSTART` on or before `date`, on the first day of a period that is a whole number of
    /// `INTERVAL`s after the period containing 2001-01-01: the phase of an every-other-week
    /// schedule then does not depend on when planning ran, and expansion starts near `date`.
    public func alignedStart(near date: LocalDate) -> LocalDate {
        let epoch = LocalDate(year: 2001, month: 1, day: 1)
        func aligned(_ units: Int) -> Int { Int((Double(units) / Double(interval)).rounded(.down)) * interval }
        switch frequency {
        case .daily:
            return epoch.adding(days: aligned(epoch.days(until: date)))
        case .weekly:
            let first = LocalDate(julianDay: periodIndex(of: epoch))
            let week = LocalDate(julianDay: periodIndex(of: date))
            return first.adding(days: 7 * aligned(first.days(until: week) / 7))
        case .monthly:
            let index = 2001 * 12 + aligned(date.year * 12 + date.month - 1 - 2001 * 12)
            return LocalDate(year: index / 12, month: index % 12 + 1, day: 1)
        case .yearly:
            return LocalDate(year: 2001 + aligned(date.year - 2001), month: 1, day: 1)
        }
    }
}
