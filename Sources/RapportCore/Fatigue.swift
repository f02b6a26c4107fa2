import Foundation

/// A per-contact limit on messages: at most `count` in any `days` consecutive days of the
/// contact's local calendar, across all rules and channels, or only for one kind of rule.
public struct FatigueCap: Sendable, Hashable, CustomStringConvertible {
    public var count: Int
    public var days: Int
    /// The kind of message the cap counts; `nil` counts every message.
    public var kind: RuleKind?

    public init(count: Int, days: Int, kind: RuleKind? = nil) {
        self.count = count
        self.days = days
        self.kind = kind
    }

    /// Parses `2 per 7 days`, `1 promotion per 30 days`, `3 check-ins per 14d`.
    public init?(parsing text: String) {
        let words = text.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
        guard let perIndex = words.firstIndex(of: "per"), perIndex >= 1, let count = Int(words[0]), count >= 1 else {
            return nil
        }
        var kind: RuleKind?
        if perIndex == 2 {
            switch words[1] {
            case "promotion", "promotions": kind = .promotion
            case "check-in", "check-ins", "checkin", "checkins": kind = .checkin
            case "report", "reports", "progress": kind = .progress
            case "message", "messages": kind = nil
            default: return nil
            }
        } else if perIndex != 1 {
            return nil
        }
        let rest = words[(perIndex + 1)...].joined()
        guard case .days(let days)? = try? Cadence(parsing: rest), days <= 366 else { return nil }
        self.init(count: count, days: days, kind: kind)
    }

    public var description: String {
        let what = kind.map { "\($0 == .progress ? "report" : $0 == .checkin ? "check-in" : "promotion")" } ?? "message"
        return "\(count) \(what)\(count == 1 ? "" : "s") per \(days) days"
    }

    func counts(_ kind: RuleKind) -> Bool { self.kind == nil || self.kind == kind }
}

/// The messages of one contact, by local date and kind, that caps are checked against.
struct FatigueLedger {
    private var byDay: [LocalDate: [RuleKind]] = [:]

    mutating func add(_ day: LocalDate, _ kind: RuleKind) {
        byDay[day, default: []].append(kind)
    }

    /// The first cap a message of `kind` on `day` would break, if any: every window of
    /// `cap.days` local days that contains `day` must hold fewer than `cap.count` already.
    func violation(on day: LocalDate, kind: RuleKind, caps: [FatigueCap]) -> FatigueCap? {
        for cap in caps where cap.counts(kind) {
            // Counts for the 2·days−1 days around `day`, then a sliding window over them.
            let span = (-(cap.days - 1))...(cap.days - 1)
            let perDay = span.map { offset in
                byDay[day.adding(days: offset)]?.filter { cap.counts($0) }.count ?? 0
            }
            var window = perDay.prefix(cap.days).reduce(0, +)
            if window >= cap.count { return cap }
            for index in cap.days..<perDay.count {
                window += perDay[index] - perDay[index - cap.days]
                if window >= cap.count { return cap }
            }
        }
        return nil
    }
}
