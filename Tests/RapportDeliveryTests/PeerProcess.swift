import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A Python test peer from `Tests/Peers`, started with `python3` from PATH.
///
/// It prints its port as the first stdout line; it exits when its stdin closes (``stop()`` or deinit) or after its
/// own lifetime limit, so nothing outlives the tests.
final class PeerProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `Tests/Peers`, found from this file's path.
    static let peersDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Peers")

    private(set) var port = 0
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errorLog: URL

    /// Starts `script` with `arguments` and waits at most `timeout` for its port line.
    init(script: String, arguments: [String], timeout: Duration = .seconds(20)) throws {
        let scriptPath = Self.peersDirectory.appendingPathComponent(script).path
        guard FileManager.default.fileExists(atPath: scriptPath) else {
            throw Failure(description: "test peer \(scriptPath) is missing")
        }
        errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-peer-\(UUID()).stderr")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", scriptPath] + arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorLog)
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start python3 for \(script): \(error). \(Self.hint)")
        }
        do {
            port = try Self.readPort(from: output.fileHandleForReading.fileDescriptor, timeout: timeout)
        } catch {
            stopProcess()
            let stderr = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
            throw Failure(description: "\(script) did not start: \(error). stderr: \(stderr) \(Self.hint)")
        }
    }

    deinit {
        stopProcess()
        try? FileManager.default.removeItem(at: errorLog)
    }

    static let hint =
        "The integration tests need python3 with the packages aiosmtpd and standardwebhooks "
        + "(pip install aiosmtpd standardwebhooks)."

    /// Closes the peer's stdin and waits (at most 5 s) for it to exit; terminates it otherwise.
    func stop() {
        stopProcess()
    }

    private func stopProcess() {
        try? input.fileHandleForWriting.close()
        guard process.processIdentifier != 0 else { return }
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        if process.isRunning {
            process.terminate()
        }
        process.waitUntilExit()
    }

    private static func readPort(from fd: Int32, timeout: Duration) throws -> Int {
        let deadline = ContinuousClock.now + timeout
        var line: [UInt8] = []
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw Failure(description: "no port line within \(timeout)")
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + 1)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { throw Failure(description: "poll failed: errno \(errno)") }
            if ready == 0 { continue }
            var byte: UInt8 = 0
            let count = read(fd, &byte, 1)
            guard count > 0 else {
                throw Failure(description: "it exited before printing its port (output so far: \(line))")
            }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard let port = Int(text), (1...65535).contains(port) else {
            throw Failure(description: "first line was \(String(reflecting: text)), not a port")
        }
        return port
    }
}
