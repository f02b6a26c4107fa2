import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Python test peer from `Tests/Peers` (copied from RapportDeliveryTests, a different module),
/// started with `python3` from PATH.
///
/// It prints its port as the first stdout line; it exits when its stdin closes (``stop()`` or
/// deinit) or after its own lifetime limit, so nothing outlives the tests.
final class PeerProcess {
    private(set) var port = 0
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errorLog: URL

    /// Starts `script` with `arguments` and waits at most `timeout` for its port line; the peer
    /// exits by itself after `lifetime` seconds.
    init(script: String, arguments: [String], timeout: Duration = .seconds(15), lifetime: Int = 60) throws {
        let scriptPath = (Paths.peers as NSString).appendingPathComponent(script)
        guard FileManager.default.fileExists(atPath: scriptPath) else {
            throw Failure("test peer \(scriptPath) is missing")
        }
        errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-cli-peer-\(UUID()).stderr")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", scriptPath] + arguments + ["--lifetime", "\(lifetime)"]
        process.standardInput = input
        process.standardOutput = output
        let errorHandle = try FileHandle(forWritingTo: errorLog)
        defer { try? errorHandle.close() }
        process.standardError = errorHandle
        do {
            try process.run()
        } catch {
            throw Failure("cannot start python3 for \(script): \(error). \(Self.hint)")
        }
        do {
            port = try Self.readPort(from: output.fileHandleForReading.fileDescriptor, timeout: timeout)
        } catch {
            stop()
            let stderr = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
            throw Failure("\(script) did not start: \(error). stderr: \(stderr) \(Self.hint)")
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: errorLog)
    }

    static let hint =
        "The integration tests need python3 with the packages aiosmtpd and standardwebhooks "
        + "(pip install aiosmtpd standardwebhooks)."

    /// Closes the peer's stdin and waits (at most 5 s) for it to exit; terminates it otherwise.
    func stop() {
        try? input.fileHandleForWriting.close()
        guard process.processIdentifier != 0 else { return }
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    private static func readPort(from fd: Int32, timeout: Duration) throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var line: [UInt8] = []
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw Failure("no port line within \(timeout)")
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + 1)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { throw Failure("poll failed: errno \(errno)") }
            if ready == 0 { continue }
            var byte: UInt8 = 0
            let count = read(fd, &byte, 1)
            guard count > 0 else {
                throw Failure("it exited before printing its port (output so far: \(line))")
            }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard let port = Int(text), (1...65535).contains(port) else {
            throw Failure("first line was \(String(reflecting: text)), not a port")
        }
        return port
    }
}

/// A Standard Webhooks secret: `whsec_` and the base64 of 24 random bytes.
func makeWebhookSecret() -> String {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
    return "whsec_" + Data(bytes).base64EncodedString()
}

/// The JSON records the SMTP sink wrote into `directory` (`NNNN.json`), in order.
func smtpRecords(in directory: String) throws -> [[String: Any]] {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasSuffix(".json") }.sorted()
    return try names.map { name in
        let text = try String(contentsOfFile: (directory as NSString).appendingPathComponent(name), encoding: .utf8)
        return try jsonObject(text, what: "SMTP sink record \(name)")
    }
}

/// The requests the webhook sink logged (one JSON object a line).
func webhookRecords(at path: String) throws -> [[String: Any]] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return try text.split(separator: "\n").map { try jsonObject(String($0), what: "webhook sink log line") }
}
