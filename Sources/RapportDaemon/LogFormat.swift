import Foundation
import Logging
import RapportCore

/// How each log event becomes one line.
///
/// - `text`: `2026-12-07T10:00:00.123Z info sent id=… transport=smtp`, for a terminal.
/// - `journal`: `<6>sent id=… transport=smtp`: no timestamp (journald adds its own) and an
///   sd-daemon(3) priority prefix, so `journalctl -p warning` works.
/// - `json`: one object per line with `ts`, `level`, `msg` and `metadata`, for log shippers.
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case journal
    case json

    /// `journal` when standard error is connected to the journal (`$JOURNAL_STREAM` names the
    /// device and inode of file descriptor 2, as systemd.exec(5) describes), else `text`.
    public static func automatic(environment: [String: String], standardError: (device: UInt64, inode: UInt64)?)
        -> LogFormat
    {
        guard let stream = environment["JOURNAL_STREAM"], let standardError else { return .text }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return .text }
        return device == standardError.device && inode == standardError.inode ? .journal : .text
    }

    /// The syslog priority of a level (`<N>` in the journal format).
    public static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Formats one event as one line, without the trailing newline.
    public func line(level: Logger.Level, message: String, metadata: Logger.Metadata, date: Date) -> String {
        switch self {
        case .text:
            return "\(Self.timestamp(date)) \(level.rawValue) \(Self.oneLine(message))\(Self.pairs(metadata))"
        case .journal:
            return "<\(Self.syslogPriority(level))>\(Self.oneLine(message))\(Self.pairs(metadata))"
        case .json:
            var object: [String: Any] = ["ts": Self.timestamp(date), "level": level.rawValue, "msg": message]
            if !metadata.isEmpty { object["metadata"] = metadata.mapValues(Self.jsonValue) }
            let data =
                (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// ` key=value key2="value with spaces"`, keys sorted; empty for no metadata.
    static func pairs(_ metadata: Logger.Metadata) -> String {
        metadata.keys.sorted().map { key in " \(key)=\(quoted(oneLine(metadata[key].map(flatten) ?? "")))" }.joined()
    }

    /// A value as text; quoted when it holds spaces, quotes or `=`, or is empty.
    static func quoted(_ text: String) -> String {
        // By byte: none of the three is part of another character in UTF-8.
        guard text.isEmpty || text.utf8.contains(where: { $0 == 0x20 || $0 == 0x22 || $0 == 0x3D }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }

    /// Line breaks written as `\n`, so an event never spans two lines.
    static func oneLine(_ text: String) -> String {
        // Only CR and LF are replaced: text without those bytes (read as UTF-8, where they are
        // never part of another character) is returned as it is.
        guard text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return text }
        return text.replacingOccurrences(of: "\r\n", with: "\\n").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\r", with: "\\n")
    }

    static func flatten(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let value): value.description
        case .array(let values): "[" + values.map(flatten).joined(separator: ", ") + "]"
        case .dictionary(let values):
            "{" + values.keys.sorted().map { "\($0): \(values[$0].map(flatten) ?? "")" }.joined(separator: ", ") + "}"
        }
    }

    static func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let value): value.description
        case .array(let values): values.map(jsonValue)
        case .dictionary(let values): values.mapValues(jsonValue)
        }
    }

    /// UTC, ISO 8601 with milliseconds.
    static func timestamp(_ date: Date) -> String {
        UTCDigits.iso8601Milliseconds(date)
    }
}
