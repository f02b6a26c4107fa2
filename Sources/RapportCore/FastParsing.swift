import Foundation

// Fast paths for reading a large data file: the common, simple case is handled here and
// anything else falls back to Foundation, which decides. Profiling `rapport check` on 100,000
// contacts put Foundation's trimming, ISO 8601 parsing and `Character` scans at over half the
// time.

extension StringProtocol {
    /// `trimmingCharacters(in: .whitespaces)`, without Foundation's round trip when there is
    /// nothing to trim (nearly always).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last,
            isInlineWhitespace(first) || isInlineWhitespace(last)
        else { return String(self) }
        return trimmingCharacters(in: .whitespaces)
    }
}

/// A member of `CharacterSet.whitespaces`: a tab or a space separator (Zs).
func isInlineWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "\t" || scalar == " " || (scalar.value > 0x7F && scalar.properties.generalCategory == .spaceSeparator)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`, the form exports use, read without a
/// formatter; `nil` for anything else (the caller then asks Foundation). Out-of-range fields
/// (month 13, February 30, hour 24, second 60) are `nil` too, so that this path never accepts
/// what Foundation would refuse.
func parseSimpleISO8601(_ text: String) -> Date? {
    var text = text
    return text.withUTF8(parseSimpleISO8601)
}

private func parseSimpleISO8601(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
    guard bytes.count >= 20 else { return nil }
    func number(_ start: Int, _ length: Int) -> Int? {
        var value = 0
        for index in start..<start + length {
            let digit = Int(bytes[index]) - 48
            guard (0...9).contains(digit) else { return nil }
            value = value * 10 + digit
        }
        return value
    }
    guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
        bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
        let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
        let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
        (1...12).contains(month), day >= 1, hour < 24, minute < 60, second < 60
    else { return nil }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    guard day <= monthDays[month - 1] else { return nil }
    var index = 19
    var fraction = 0.0
    if bytes[index] == UInt8(ascii: ".") {
        index += 1
        var scale = 0.1
        let start = index
        while index < bytes.count, (48...57).contains(bytes[index]) {
            fraction += Double(bytes[index] - 48) * scale
            scale /= 10
            index += 1
        }
        guard index > start else { return nil }
    }
    guard index < bytes.count else { return nil }
    var offset = 0
    switch bytes[index] {
    case UInt8(ascii: "Z"):
        index += 1
    case UInt8(ascii: "+"), UInt8(ascii: "-"):
        let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
        let rest = bytes.count - index - 1
        guard rest == 5 || rest == 4, let hours = number(index + 1, 2), hours < 24 else { return nil }
        let minutesAt = rest == 5 ? index + 4 : index + 3
        guard rest == 4 || bytes[index + 3] == UInt8(ascii: ":"), let minutes = number(minutesAt, 2), minutes < 60
        else { return nil }
        offset = sign * (hours * 3600 + minutes * 60)
        index = bytes.count
    default:
        return nil
    }
    guard index == bytes.count else { return nil }
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    let days = era * 146_097 + dayOfEra - 719_468
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset
    return Date(timeIntervalSince1970: Double(seconds) + fraction)
}
