import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Where `$NOTIFY_SOCKET` points: a path, or an abstract name (written with a leading `@`).
public enum NotifySocketAddress: Sendable, Hashable {
    case path(String)
    /// The name without its `@`; on the wire it starts with a NUL byte.
    case abstract(String)

    /// Parses `$NOTIFY_SOCKET`: `/run/systemd/notify` or `@name`.
    public init(parsing text: String) throws(NotifyError) {
        if text.hasPrefix("@"), text.utf8.count > 1 {
            self = .abstract(String(text.dropFirst()))
        } else if text.hasPrefix("/") {
            self = .path(text)
        } else {
            throw NotifyError(socket: text, problem: "not an absolute path or an @abstract name")
        }
        // sun_path holds 108 bytes; a path needs its terminating NUL, an abstract name its leading one.
        let length = text.utf8.count
        if length >= 108 {
            throw NotifyError(socket: text, problem: "longer than a Unix socket address can be (107 bytes)")
        }
    }

    /// The `sockaddr_un` bytes of `sun_path` and the address length to pass to `sendto`.
    func socketAddress() -> (address: sockaddr_un, length: socklen_t) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes: [UInt8]
        switch self {
        case .path(let path): bytes = Array(path.utf8) + [0]
        case .abstract(let name): bytes = [0] + Array(name.utf8)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let base = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        // A path's length includes its NUL; an abstract name's is exact (no terminator).
        return (address, socklen_t(base + bytes.count))
    }
}

/// A failure to talk to the service manager, naming the socket.
public struct NotifyError: Error, Sendable, Hashable, CustomStringConvertible {
    public var socket: String
    public var problem: String

    public init(socket: String, problem: String) {
        self.socket = socket
        self.problem = problem
    }

    public var description: String { "NOTIFY_SOCKET \(socket): \(problem)" }
}

/// Tells systemd about the daemon's state (sd_notify(3)) without libsystemd: one datagram per
/// message on the `AF_UNIX` socket named by `$NOTIFY_SOCKET`.
///
/// Without `$NOTIFY_SOCKET` (not under systemd, or `Type=exec`) every send is a no-op.
public final class SystemdNotifier: Sendable {
    /// The socket address, or `nil` when there is nobody to tell.
    public let address: NotifySocketAddress?
    private let descriptor: Int32

    /// Reads `$NOTIFY_SOCKET` from `environment`. A malformed value throws; an absent one gives
    /// a notifier that sends nothing.
    public init(environment: [String: String]) throws(NotifyError) {
        guard let text = environment["NOTIFY_SOCKET"], !text.isEmpty else {
            address = nil
            descriptor = -1
            return
        }
        let address = try NotifySocketAddress(parsing: text)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw NotifyError(socket: text, problem: "socket(): \(String(cString: strerror(errno)))")
        }
        self.address = address
        self.descriptor = descriptor
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Whether messages go anywhere.
    public var isEnabled: Bool { address != nil }

    /// Sends `message` as one datagram. Does nothing without `$NOTIFY_SOCKET`.
    public func send(_ message: NotifyMessage) throws(NotifyError) {
        guard let address else { return }
        var (socketAddress, length) = address.socketAddress()
        let bytes = Array(message.text.utf8)
        let sent = withUnsafePointer(to: &socketAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bytes.withUnsafeBytes { buffer in
                    sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), generic, length)
                }
            }
        }
        guard sent == bytes.count else {
            let name =
                switch address {
                case .path(let path): path
                case .abstract(let name): "@" + name
                }
            throw NotifyError(socket: name, problem: "sendto(): \(String(cString: strerror(errno)))")
        }
    }

    /// `CLOCK_MONOTONIC` in microseconds, for `MONOTONIC_USEC`.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
