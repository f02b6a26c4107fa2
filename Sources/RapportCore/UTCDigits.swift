import Foundation

/// A date's UTC calendar fields written as digits, from `gmtime_r` directly: `rapport plan`
/// prints one per planned message and every webhook carries three, where `Date.formatted`
/// was a visible cost.
public enum UTCDigits {
    /// ISO 8601 to the second, as `JSONEncoder`'s `.iso8601` strategy writes it:
    /// `2026-12-01T09:00:00Z` (fractions of a second dropped).
    public static func iso8601(_ date: Date) -> [UInt8] {
        write(date, dateTimeSeparator: UInt8(ascii: "T"), seconds: true)
    }

    /// For a table, to the minute: `2026-12-07 09:30`.
    public static func minutes(_ date: Date) -> String {
        String(decoding: write(date, dateTimeSeparator: UInt8(ascii: " "), seconds: false), as: UTF8.self)
    }

    private static func write(_ date: Date, dateTimeSeparator: UInt8, seconds: Bool) -> [UInt8] {
        var instant = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        gmtime_r(&instant, &fields)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        func digits(_ value: Int32, _ count: Int) {
            var divisor: Int32 = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
                divisor /= 10
            }
        }
        digits(fields.tm_year + 1900, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(fields.tm_mon + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(fields.tm_mday, 2)
        bytes.append(dateTimeSeparator)
        digits(fields.tm_hour, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(fields.tm_min, 2)
        if seconds {
            bytes.append(UInt8(ascii: ":"))
            digits(fields.tm_sec, 2)
            bytes.append(UInt8(ascii: "Z"))
        }
        return bytes
    }
}
