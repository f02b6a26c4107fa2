import Foundation

/// Wall-clock arithmetic in one time zone, without `Calendar`: fast enough for a million
/// contacts, and explicit about clock changes.
///
/// A wall-clock time that does not exist (the spring-forward gap) resolves to the first valid
/// instant after the gap (02:30 in New York on a March Sunday is 03:00); a time that happens
/// twice (fall back) resolves to its first occurrence.
public struct ZoneClock: Sendable {
    public let zone: TimeZone

    public init(_ zone: TimeZone) { self.zone = zone }

    /// The instant `date` shows `hour:minute` on a wall clock in this zone.
    public func instant(_ date: LocalDate, hour: Int, minute: Int, second: Int = 0) -> Date {
        let local = Double((date.julianDay - 2_440_588) * 86_400 + hour * 3600 + minute * 60 + second)
        return instant(localSeconds: local)
    }

    /// The instant for wall-clock seconds since 1970-01-01 00:00 (as if the zone were UTC).
    public func instant(localSeconds local: Double) -> Date {
        let before = offset(local - 86_400)
        let after = offset(local + 86_400)
        let early = local - before
        if offset(early) == before { return Date(timeIntervalSince1970: early) }
        let late = local - after
        if offset(late) == after { return Date(timeIntervalSince1970: late) }
        // In the gap: the transition lies between `late` and `early`; find it to the second.
        var low = min(early, late)
        var high = max(early, late)
        while high - low > 1 {
            let middle = ((low + high) / 2).rounded(.down)
            if offset(middle) == before { low = middle } else { high = middle }
        }
        return Date(timeIntervalSince1970: high)
    }

    /// Wall-clock seconds since 1970-01-01 00:00 at `instant`.
    public func localSeconds(_ instant: Date) -> Double {
        instant.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: instant))
    }

    private func offset(_ seconds: Double) -> Double {
        Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: seconds)))
    }
}
