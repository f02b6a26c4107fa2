import Foundation

/// Days on which nothing is sent, by region (e.g. `gb`, `us-ny`), on the recipient's calendar.
public struct HolidayCalendar: Sendable, Hashable {
    /// Holiday dates by region name (lower case).
    public var regions: [String: Set<LocalDate>]
    /// The region of a contact whose data names none; `nil`: no holidays for such contacts.
    public var defaultRegion: String?

    public init(regions: [String: Set<LocalDate>] = [:], defaultRegion: String? = nil) {
        self.regions = regions
        self.defaultRegion = defaultRegion
    }

    /// The holiday dates that apply to a contact in `region` (its data field, else the default).
    public func dates(region: String?) -> Set<LocalDate> {
        guard let name = (region ?? defaultRegion)?.lowercased() else { return [] }
        return regions[name] ?? []
    }
}

/// A problem in an iCalendar file, with its line.
public struct ICSError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var problem: String

    public var description: String { "line \(line): \(problem)" }
}

/// Reads all-day events (`DTSTART;VALUE=DATE:20261225`) from an iCalendar file: the subset
/// public holiday calendars use. Multi-day events (`DTEND;VALUE=DATE`, exclusive) cover every
/// day up to the end.
public enum ICSHolidays {
    public static func dates(in text: String) throws(ICSError) -> Set<LocalDate> {
        var dates: Set<LocalDate> = []
        var start: LocalDate?
        var end: LocalDate?
        var inEvent = false
        // Unfold continuation lines (RFC 5545 §3.1) while keeping line numbers.
        var lines: [(number: Int, text: String)] = []
        // "\r\n" is one Character in Swift, and a newline.
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = String(raw)
            if line.hasPrefix(" ") || line.hasPrefix("\t"), !lines.isEmpty {
                lines[lines.count - 1].text += line.dropFirst()
            } else {
                lines.append((index + 1, line))
            }
        }
        for (number, line) in lines {
            let upper = line.uppercased()
            if upper == "BEGIN:VEVENT" {
                inEvent = true
                start = nil
                end = nil
            } else if upper == "END:VEVENT" {
                guard let first = start else { throw ICSError(line: number, problem: "VEVENT without DTSTART") }
                let last = end.map { $0.adding(days: -1) } ?? first
                var day = first
                while day <= last && first.days(until: day) < 366 {
                    dates.insert(day)
                    day = day.adding(days: 1)
                }
                inEvent = false
            } else if inEvent, upper.hasPrefix("DTSTART") || upper.hasPrefix("DTEND") {
                guard let colon = line.firstIndex(of: ":") else {
                    throw ICSError(line: number, problem: "expected NAME;VALUE=DATE:YYYYMMDD")
                }
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                let digits = value.prefix(8)
                guard digits.count == 8, digits.allSatisfy(\.isNumber),
                    let date = LocalDate(
                        parsing: "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))")
                else { throw ICSError(line: number, problem: "'\(value)' is not a date (YYYYMMDD)") }
                if upper.hasPrefix("DTSTART") { start = date } else { end = date }
            }
        }
        return dates
    }
}
