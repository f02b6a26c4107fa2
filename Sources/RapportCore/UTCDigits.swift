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

    /// ISO 8601 to the millisecond, as `Date.ISO8601FormatStyle(includingFractionalSeconds:
    /// true)` writes it: `2026-12-01T09:00:00.250Z`. Every log line starts with one.
    public static func iso8601Milliseconds(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1_000).rounded(.down)
        let seconds = (milliseconds / 1_000).rounded(.down)
        var bytes = write(Date(timeIntervalSince1970: seconds), dateTimeSeparator: UInt8(ascii: "T"), seconds: true)
        bytes.removeLast()  // the Z
        bytes.append(UInt8(ascii: "."))
        bytes.appendDigits(Int(milliseconds - seconds * 1_000), width: 3)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
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
        bytes.appendDigits(Int(fields.tm_year) + 1900, width: 4)
        bytes.append(UInt8(ascii: "-"))
        bytes.appendDigits(Int(fields.tm_mon) + 1, width: 2)
        bytes.append(UInt8(ascii: "-"))
        bytes.appendDigits(Int(fields.tm_mday), width: 2)
        bytes.append(dateTimeSeparator)
        bytes.appendDigits(Int(fields.tm_hour), width: 2)
        bytes.append(UInt8(ascii: ":"))
        bytes.appendDigits(Int(fields.tm_min), width: 2)
        if seconds {
            bytes.append(UInt8(ascii: ":"))
            bytes.appendDigits(Int(fields.tm_sec), width: 2)
            bytes.append(UInt8(ascii: "Z"))
        }
        return bytes
    }
}

extension [UInt8] {
    /// Appends `value` in decimal, zero-padded to `width` digits, as `%0*d` writes it (a
    /// number with more digits keeps them all; a negative one starts with `-`).
    mutating func appendDigits(_ value: Int, width: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var digits = 1
        var rest = value.magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let zero = UInt8(ascii: "0")
        let padding = width - (value < 0 ? 1 : 0) - digits
        append(contentsOf: repeatElement(zero, count: Swift.max(0, padding) + digits))
        var magnitude = value.magnitude
        for position in stride(from: count - 1, through: count - digits, by: -1) {
            self[position] = zero + UInt8(magnitude % 10)
            magnitude /= 10
        }
    }
}
