/// One datagram to the service manager, in the `KEY=VALUE` newline-separated form of
/// sd_notify(3).
///
/// ```swift
/// NotifyMessage.ready(status: "idle").text  // "READY=1\nSTATUS=idle"
/// ```
public struct NotifyMessage: Sendable, Hashable {
    /// The assignments, in the order they are written.
    public private(set) var fields: [(key: String, value: String)]

    /// An empty message; add fields with ``adding(_:_:)``.
    public init() { fields = [] }

    /// The message with `key=value` appended. Newlines in `value` become spaces: a value is
    /// one line.
    public func adding(_ key: String, _ value: String) -> NotifyMessage {
        var copy = self
        let line = value.map { $0.isNewline ? " " : $0 }
        copy.fields.append((key, String(line)))
        return copy
    }

    /// The bytes sent: one `KEY=VALUE` line per field, separated by newlines.
    public var text: String {
        fields.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
    }

    /// `READY=1`: start-up (or a reload) finished.
    public static func ready(status: String? = nil) -> NotifyMessage {
        NotifyMessage().adding("READY", "1").addingStatus(status)
    }

    /// `RELOADING=1` with `MONOTONIC_USEC`, as systemd ≥ 253 wants before a reload.
    public static func reloading(monotonicMicroseconds: UInt64, status: String? = nil) -> NotifyMessage {
        NotifyMessage().adding("RELOADING", "1").adding("MONOTONIC_USEC", "\(monotonicMicroseconds)")
            .addingStatus(status)
    }

    /// `STOPPING=1`: shutdown began.
    public static func stopping(status: String? = nil) -> NotifyMessage {
        NotifyMessage().adding("STOPPING", "1").addingStatus(status)
    }

    /// `WATCHDOG=1`: the keep-alive ping.
    public static let watchdog = NotifyMessage().adding("WATCHDOG", "1")

    /// `STATUS=…` alone: a line `systemctl status` shows.
    public static func status(_ text: String) -> NotifyMessage {
        NotifyMessage().adding("STATUS", text)
    }

    private func addingStatus(_ status: String?) -> NotifyMessage {
        guard let status else { return self }
        return adding("STATUS", status)
    }

    public static func == (lhs: NotifyMessage, rhs: NotifyMessage) -> Bool { lhs.text == rhs.text }

    public func hash(into hasher: inout Hasher) { hasher.combine(text) }
}
