import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A datagram socket standing in for systemd's notify socket: binds a path in a temporary
/// folder (or an abstract name) and records every datagram with its arrival time, on a thread
/// of its own, until closed.
final class NotifyListener: @unchecked Sendable {
    /// One datagram as received.
    struct Datagram: Sendable {
        var text: String
        var at: ContinuousClock.Instant

        /// The `KEY=VALUE` fields.
        var fields: [String: String] {
            var result: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                result[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return result
        }
    }

    /// The value for `$NOTIFY_SOCKET`: the path, or `@name`.
    let socketName: String
    private let descriptor: Int32
    private let received = Mutex<[Datagram]>([])
    private let closed = Atomic<Bool>(false)
    private var thread: Thread?

    /// Binds `directory/notify.sock`, or the abstract name `@rapport-test-<random>` when
    /// `abstract` is true.
    init(directory: String, abstract: Bool = false) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket(): errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes: [UInt8]
        if abstract {
            let name = "rapport-test-\(UUID().uuidString.prefix(12))"
            socketName = "@" + name
            bytes = [0] + Array(name.utf8)
        } else {
            socketName = (directory as NSString).appendingPathComponent("notify.sock")
            bytes = Array(socketName.utf8) + [0]
        }
        guard bytes.count <= MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw Failure("socket name too long: \(socketName)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw Failure("bind(\(socketName)): errno \(code)")
        }
        // A receive timeout, so the thread notices `close()`.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in receiveLoop() }
        self.thread = thread
        thread.start()
    }

    deinit { stop() }

    /// Stops receiving and closes the socket.
    func stop() {
        guard !closed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        // The thread sees the flag within one receive timeout; give it that long.
        usleep(150_000)
        _ = close(descriptor)
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !closed.load(ordering: .sequentiallyConsistent) {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            received.withLock { $0.append(Datagram(text: text, at: .now)) }
        }
    }

    /// Everything received so far.
    var datagrams: [Datagram] { received.withLock { $0 } }

    /// The datagrams that set `key` (e.g. `READY`).
    func with(_ key: String) -> [Datagram] { datagrams.filter { $0.fields[key] != nil } }

    /// Waits at most `timeout` until `count` datagrams set `key`; returns whether they did.
    @discardableResult
    func waitFor(_ key: String, count: Int = 1, timeout: Duration) -> Bool {
        waitUntil(timeout: timeout) { with(key).count >= count }
    }
}
