import Foundation
import RapportCore
import TOMLKit

/// Collects configuration errors while a file is read.
final class ErrorSink {
    let file: String
    private(set) var errors: [ConfigurationError] = []

    init(file: String) { self.file = file }

    func add(_ key: String?, _ problem: String) {
        errors.append(ConfigurationError(file: file, key: key, problem: problem))
    }
}

/// Reads one TOML table, remembering which keys were read so the rest can be reported as
/// unknown, and reporting type errors with the key's full path.
final class TOMLReader {
    private let table: TOMLTable
    private let path: String
    private let sink: ErrorSink
    private var used: Set<String> = []

    init(_ table: TOMLTable, path: String, sink: ErrorSink) {
        self.table = table
        self.path = path
        self.sink = sink
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ problem: String) { sink.add(keyPath(key), problem) }

    private func value(_ key: String) -> (any TOMLValueConvertible)? {
        used.insert(key)
        return table[key]
    }

    func string(_ key: String) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.string else {
            fail(key, "expected text, found \(value.type)")
            return nil
        }
        return string
    }

    func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value.int else {
            fail(key, "expected a whole number, found \(value.type)")
            return nil
        }
        guard range.contains(number) else {
            fail(key, "\(number) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return number
    }

    /// A number written as a whole number or a decimal.
    func number(_ key: String, in range: ClosedRange<Double>) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.double ?? value.int.map(Double.init) else {
            fail(key, "expected a number, found \(value.type)")
            return nil
        }
        guard range.contains(number) else {
            fail(key, "\(number) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return number
    }

    func bool(_ key: String) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.bool else {
            fail(key, "expected true or false, found \(value.type)")
            return nil
        }
        return flag
    }

    func strings(_ key: String) -> [String]? {
        guard let value = value(key) else { return nil }
        guard let array = value.array else {
            fail(key, "expected a list of text, found \(value.type)")
            return nil
        }
        var result: [String] = []
        for item in array {
            guard let string = item.string else {
                fail(key, "expected a list of text")
                return nil
            }
            result.append(string)
        }
        return result
    }

    /// A date written as a TOML local date (`2026-12-01`) or as text.
    func date(_ key: String) -> LocalDate? {
        guard let value = value(key) else { return nil }
        if let date = value.date {
            return LocalDate(year: Int(date.year), month: Int(date.month), day: Int(date.day))
        }
        if let text = value.string {
            if let date = LocalDate(parsing: text) { return date }
            fail(key, "'\(text)' is not a date (YYYY-MM-DD)")
            return nil
        }
        fail(key, "expected a date, found \(value.type)")
        return nil
    }

    func time(_ key: String) -> LocalTime? {
        guard let text = string(key) else { return nil }
        guard let time = LocalTime(parsing: text) else {
            fail(key, "'\(text)' is not a time of day (HH:MM)")
            return nil
        }
        return time
    }

    func oneOf<T: RawRepresentable>(_ key: String, _ type: T.Type) -> T? where T.RawValue == String, T: CaseIterable {
        guard let text = string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            fail(key, "'\(text)' is not one of \(allowed)")
            return nil
        }
        return value
    }

    func table(_ key: String) -> TOMLReader? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else {
            fail(key, "expected a table, found \(value.type)")
            return nil
        }
        return TOMLReader(table, path: keyPath(key), sink: sink)
    }

    func tables(_ key: String) -> [TOMLReader] {
        guard let value = value(key) else { return [] }
        guard let array = value.array else {
            fail(key, "expected an array of tables ([[\(key)]]), found \(value.type)")
            return []
        }
        var readers: [TOMLReader] = []
        for (index, item) in array.enumerated() {
            guard let table = item.table else {
                fail("\(key)[\(index)]", "expected a table")
                continue
            }
            readers.append(TOMLReader(table, path: "\(keyPath(key))[\(index)]", sink: sink))
        }
        return readers
    }

    /// The keys of the table, in order.
    var keys: [String] { table.keys.sorted() }

    /// A cadence written as a whole number of days, a spacing (`"2w"`) or an RRULE.
    func cadence(_ key: String) -> Cadence? {
        guard let value = value(key) else { return nil }
        if let days = value.int {
            guard (1...3660).contains(days) else {
                fail(key, "\(days) is out of range 1...3660")
                return nil
            }
            return .days(days)
        }
        guard let text = value.string else {
            fail(key, "expected a number of days or text such as \"2w\" or \"FREQ=MONTHLY;BYDAY=1MO\"")
            return nil
        }
        do {
            return try Cadence(parsing: text)
        } catch {
            fail(key, error.description)
            return nil
        }
    }

    /// An RRULE.
    func recurrence(_ key: String) -> Recurrence? {
        guard let text = string(key) else { return nil }
        do {
            return try Recurrence(parsing: text)
        } catch {
            fail(key, error.description)
            return nil
        }
    }

    /// A list of dates (TOML dates or `YYYY-MM-DD` text), or `nil` after reporting.
    func dates(_ key: String) -> [LocalDate]? {
        guard let value = value(key), let array = value.array else { return nil }
        var result: [LocalDate] = []
        for item in array {
            if let date = item.date {
                result.append(LocalDate(year: Int(date.year), month: Int(date.month), day: Int(date.day)))
            } else if let text = item.string, let date = LocalDate(parsing: text) {
                result.append(date)
            } else {
                fail(key, "expected a list of dates (YYYY-MM-DD)")
                return nil
            }
        }
        return result
    }

    /// Whether `key` holds a list.
    func isArray(_ key: String) -> Bool { table[key]?.array != nil }

    /// Whether the table gives `key` at all.
    func has(_ key: String) -> Bool { table[key] != nil }

    /// A duration in whole hours (`max_lateness_hours`), 0 meaning "never stale".
    func lateness(_ key: String) -> TimeInterval?? {
        guard let hours = int(key, in: 0...8_760) else { return nil }
        return .some(hours == 0 ? nil : Double(hours) * 3600)
    }

    /// Every key of the table read as a whole number, e.g. a map from tier to days.
    func allInts(in range: ClosedRange<Int>) -> [String: Int] {
        var result: [String: Int] = [:]
        for key in table.keys {
            if let number = int(key, in: range) { result[key] = number }
        }
        return result
    }

    /// Reports every key that was present but never read.
    func finish() {
        for key in table.keys.sorted() where !used.contains(key) {
            sink.add(keyPath(key), "unknown key")
        }
    }
}
