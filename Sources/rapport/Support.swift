import ArgumentParser
import Foundation
import Logging
import RapportCore
import RapportDaemon
import RapportStore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// An error already shown to the operator; the command exits with `code`.
struct Reported: Error {
    var code: Int32 = 1
}

extension ExitCode {
    /// Nothing matched the ids or filter given.
    static let nothingMatched = ExitCode(3)
}

/// The configuration and store a command works on.
struct Workspace {
    var configuration: Configuration
    var store: Outbox

    /// Loads the configuration and opens the store, printing every error on one line each.
    ///
    /// Secrets are only read for commands that deliver (`run`) or validate them (`check`): an
    /// operator reviewing the queue needs no SMTP password.
    static func open(_ options: GlobalOptions, secrets: Configuration.Secrets = .skip) throws -> Workspace {
        let configuration = try loadConfiguration(options, secrets: secrets)
        do {
            return Workspace(configuration: configuration, store: try Outbox(location: configuration.storeLocation))
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    static func loadConfiguration(_ options: GlobalOptions, secrets: Configuration.Secrets) throws -> Configuration {
        let environment = ProcessInfo.processInfo.environment
        let path = Configuration.locate(explicit: options.config, environment: environment)
        do {
            return try Configuration.load(path: path, environment: environment, secrets: secrets)
        } catch {
            for problem in error.errors { printError("error: \(problem)") }
            throw ExitCode.failure
        }
    }

    /// Resolves ids the operator typed: a full id, or a unique prefix of one.
    func resolve(_ typed: [String]) throws -> [String] {
        var ids: [String] = []
        for text in typed {
            let matches = try store.ids(startingWith: text.lowercased(), limit: 2)
            if matches.count == 1 {
                ids.append(matches[0])
            } else if matches.isEmpty {
                let suggestion = try closestID(to: text.lowercased()).map { "; did you mean \($0)?" } ?? ""
                printError("error: no message with id '\(text)'\(suggestion)")
                throw ExitCode.nothingMatched
            } else {
                printError("error: '\(text)' matches several messages; type more of the id")
                throw ExitCode.failure
            }
        }
        return ids
    }
}

extension Workspace {
    /// The stored id nearest to `typed` by edit distance over its length, if any is close.
    func closestID(to typed: String) throws -> String? {
        var best: (id: String, distance: Int)?
        for id in try store.ids(startingWith: "", limit: 1_000_000) {
            let distance = editDistance(typed, String(id.prefix(max(typed.count, 1))))
            if distance < (best?.distance ?? Int.max) { best = (id, distance) }
        }
        guard let best, best.distance <= max(2, typed.count / 3) else { return nil }
        return best.id
    }
}

/// Levenshtein distance between two short strings.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// The logger for commands: one line per event on standard error, in `format`.
func makeLogger(level: Logger.Level = .info, format: LogFormat = .text) -> Logger {
    LoggingSystem.bootstrap { _ in RapportLogHandler(format: format, level: level) }
    return Logger(label: "rapport")
}

/// Parses `--now`: an ISO 8601 date-time.
func parseInstant(_ text: String) throws -> Date {
    if let date = try? Date(text, strategy: .iso8601) { return date }
    throw ValidationError("'\(text)' is not an ISO 8601 date-time such as 2026-12-01T09:00:00Z")
}

/// The name recorded for operator actions: `--as`, else the Unix user.
func operatorName(_ explicit: String?) -> String {
    if let explicit, !explicit.isEmpty { return explicit }
    if let name = getpwuid(getuid())?.pointee.pw_name { return String(cString: name) }
    return ProcessInfo.processInfo.environment["USER"] ?? "operator"
}

/// Formats a date for a table: UTC, to the minute (`2026-12-07 09:30`).
func shortUTC(_ date: Date) -> String { UTCDigits.minutes(date) }

/// Encodes a value as pretty JSON with sorted keys and ISO 8601 dates.
func jsonText(_ value: some Encodable, encoder: JSONEncoder = jsonEncoder()) -> String {
    String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
}

/// The encoder of ``jsonText(_:encoder:)``: pretty JSON, sorted keys, ISO 8601 dates.
func jsonEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
}

/// Prints a JSON array an element at a time, laid out as ``jsonText(_:encoder:)`` lays out a
/// whole array, so a long one (a plan of a large file) is never held whole.
struct JSONArrayPrinter {
    private let encoder = jsonEncoder()
    private var count = 0

    mutating func print(_ element: some Encodable) {
        let text = jsonText(element, encoder: encoder).split(separator: "\n", omittingEmptySubsequences: false)
            .map { "  " + $0 }.joined(separator: "\n")
        Swift.print(count == 0 ? "[\n" : ",\n", text, separator: "", terminator: "")
        count += 1
    }

    /// Closes the array (`[]` when nothing was printed).
    func finish() {
        Swift.print(count == 0 ? "[]" : "\n]")
    }
}
