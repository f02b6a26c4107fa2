import Foundation
import RapportDaemon
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct NotifyTests {
    @Test func messagesAreNewlineSeparatedAssignments() {
        #expect(NotifyMessage.ready().text == "READY=1")
        #expect(NotifyMessage.ready(status: "idle").text == "READY=1\nSTATUS=idle")
        #expect(NotifyMessage.stopping().text == "STOPPING=1")
        #expect(NotifyMessage.watchdog.text == "WATCHDOG=1")
        #expect(
            NotifyMessage.reloading(monotonicMicroseconds: 123_456, status: "reloading").text
                == "RELOADING=1\nMONOTONIC_USEC=123456\nSTATUS=reloading")
        // A value never spans lines: it would be read as a second assignment.
        #expect(NotifyMessage.status("a\nSTOPPING=1").text == "STATUS=a STOPPING=1")
    }

    @Test func socketAddressesParse() throws {
        #expect(try NotifySocketAddress(parsing: "/run/systemd/notify") == .path("/run/systemd/notify"))
        #expect(try NotifySocketAddress(parsing: "@sd-notify") == .abstract("sd-notify"))
        for bad in ["relative/path", "@", "vsock:2:1234", "/" + String(repeating: "x", count: 120)] {
            #expect(throws: NotifyError.self, "\(bad) should be refused") { try NotifySocketAddress(parsing: bad) }
        }
    }

    @Test func noSocketMeansNoNotifications() throws {
        let notifier = try SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        try notifier.send(.ready())
    }

    @Test func datagramsReachAPathSocket() throws {
        let directory = NSTemporaryDirectory() + "rapport-notify-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let receiver = try DatagramReceiver(name: directory + "/n.sock")
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": directory + "/n.sock"])
        try notifier.send(.ready(status: "up"))
        #expect(receiver.receive() == "READY=1\nSTATUS=up")
    }

    @Test func datagramsReachAnAbstractSocket() throws {
        let name = "@rapport-unit-\(UUID().uuidString.prefix(8))"
        let receiver = try DatagramReceiver(name: name)
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": name])
        try notifier.send(.watchdog)
        #expect(receiver.receive() == "WATCHDOG=1")
    }

    @Test func sendingToNobodyIsAnErrorNamingTheSocket() throws {
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/rapport.sock"])
        #expect(throws: NotifyError.self) { try notifier.send(.ready()) }
    }

    @Test func watchdogSettingsComeFromTheEnvironment() {
        #expect(WatchdogSettings(environment: [:]) == nil)
        #expect(WatchdogSettings(environment: ["WATCHDOG_USEC": "0"]) == nil)
        #expect(WatchdogSettings(environment: ["WATCHDOG_USEC": "soon"]) == nil)
        let settings = WatchdogSettings(environment: ["WATCHDOG_USEC": "400000"], pid: 42)
        #expect(settings?.timeout == .milliseconds(400))
        #expect(settings?.pingInterval == .milliseconds(200))
        #expect(WatchdogSettings(environment: ["WATCHDOG_USEC": "400000", "WATCHDOG_PID": "42"], pid: 42) != nil)
        #expect(WatchdogSettings(environment: ["WATCHDOG_USEC": "400000", "WATCHDOG_PID": "7"], pid: 42) == nil)
    }
}

/// A bound datagram socket that reads one message (with a two-second timeout).
final class DatagramReceiver {
    private let descriptor: Int32

    init(name: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = name.hasPrefix("@") ? [0] + Array(name.utf8.dropFirst()) : Array(name.utf8) + [0]
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw NotifyError(socket: name, problem: "bind: errno \(errno)") }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }
}
