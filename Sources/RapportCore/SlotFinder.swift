import Foundation

/// Quiet hours on the recipient's wall clock, e.g. 20:00–08:00 (may wrap past midnight).
public struct QuietHours: Sendable, Hashable {
    public var starts: LocalTime
    public var ends: LocalTime

    public init(starts: LocalTime, ends: LocalTime) {
        self.starts = starts
        self.ends = ends
    }

    /// The quiet intervals of one day, in minutes after midnight.
    var intervals: [Range<Int>] {
        if starts.minutes == ends.minutes { return [] }
        if starts < ends { return [starts.minutes..<ends.minutes] }
        return [0..<ends.minutes, starts.minutes..<1440]
    }

    public func contains(_ time: LocalTime) -> Bool {
        intervals.contains { $0.contains(time.minutes) }
    }
}

/// Finds the next open slot for a message to one contact: inside the rule's sending window,
/// outside quiet hours, not on a holiday of the contact's region, all on the contact's wall
/// clock; at the preferred time shifted by the contact's stagger.
struct SlotFinder {
    let clock: ZoneClock
    let holidays: Set<LocalDate>
    let quiet: QuietHours?
    /// Minutes after the preferred time this contact's messages go, so that a relay is not hit
    /// by every contact at 09:00:00.
    let stagger: Int

    /// Whether a day may carry messages under `window`.
    func isOpen(day: LocalDate, window: SendingWindow) -> Bool {
        window.days.contains(day.weekday) && !holidays.contains(day)
    }

    /// The first allowed minute of `day` at or after `minute`, or `nil` when the day is spent.
    func firstMinute(on day: LocalDate, from minute: Int, window: SendingWindow) -> Int? {
        var candidate = max(minute, window.opens.minutes)
        for _ in 0..<4 {
            guard candidate < window.closes.minutes else { return nil }
            guard let interval = quiet?.intervals.first(where: { $0.contains(candidate) }) else { return candidate }
            candidate = interval.upperBound
        }
        return nil
    }

    /// The preferred minute of the day for this contact, kept inside the window.
    func preferredMinute(_ preferred: LocalTime, window: SendingWindow) -> Int {
        min(preferred.minutes + stagger, window.closes.minutes - 1)
    }

    /// The first open instant at or after `instant`, preferring `preferred` (plus the stagger)
    /// on each open day; an instant already past the preferred time on an open day goes at
    /// the next allowed minute that day.
    func firstSlot(onOrAfter instant: Date, preferred: LocalTime, window: SendingWindow, maxDays: Int = 400) -> Date {
        let local = clock.localSeconds(instant)
        let today = LocalDate(julianDay: Int((local / 86_400).rounded(.down)) + 2_440_588)
        let nowMinute = Int(((local - Double((today.julianDay - 2_440_588) * 86_400)) / 60).rounded(.up))
        let wanted = preferredMinute(preferred, window: window)
        for offset in 0..<maxDays {
            let day = today.adding(days: offset)
            guard isOpen(day: day, window: window) else { continue }
            let from = offset == 0 ? max(wanted, nowMinute) : wanted
            guard let minute = firstMinute(on: day, from: from, window: window) else { continue }
            let date = clock.instant(day, hour: minute / 60, minute: minute % 60)
            // A wall-clock time in a DST gap resolves after the gap; it must still be ahead.
            if date >= instant { return date }
        }
        return instant
    }

    /// Whether `instant` is an allowed moment to send under `window`.
    func allows(_ instant: Date, window: SendingWindow) -> Bool {
        let day = LocalDate(instant, in: clock.zone)
        let time = LocalTime(instant, in: clock.zone)
        return isOpen(day: day, window: window) && time >= window.opens && time < window.closes
            && !(quiet?.contains(time) ?? false)
    }

    /// The stagger for a contact: a stable hash of its id into `0..<spread` minutes.
    static func stagger(contactID: String, spread: Int) -> Int {
        guard spread > 1 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in contactID.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return Int(hash % UInt64(spread))
    }
}
