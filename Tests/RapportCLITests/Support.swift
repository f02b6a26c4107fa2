import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A test failure with a readable message.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Paths the tests need: the built `rapport`, the repository's templates and peers.
enum Paths {
    /// `Tests/RapportCLITests`.
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    /// The repository root.
    static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let templates = repository.appendingPathComponent("Templates").path
    static let peers = repository.appendingPathComponent("Tests/Peers").path

    /// The `rapport` executable next to the test runner (on Linux
    /// `.build/<triple>/debug/RapportPackageTests.xctest`; on macOS inside the .xctest bundle).
    static func rapport() throws -> String {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        var directory = runner.deletingLastPathComponent()
        var tried: [String] = []
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("rapport").path
            tried.append(candidate)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        throw Failure(
            "the rapport executable was not found next to the test runner \(runner.path) (tried \(tried)); "
                + "build it first with `swift build --build-tests`")
    }
}

/// A fresh temporary directory, removed when the value is deinitialised.
final class Scratch {
    let path: String

    init(_ label: String) throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("rapport-cli-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        if ProcessInfo.processInfo.environment["RAPPORT_KEEP_TEST_FILES"] == nil {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes `text` to `name` atomically (a rename), so a running daemon never sees half a file.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target), options: .atomic)
        return target
    }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: file(name), encoding: .utf8)) ?? ""
    }

    /// Non-hidden file names in the folder `name` with the extension `ext`, sorted.
    func files(in name: String, ext: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: file(name))) ?? []
        return entries.filter { !$0.hasPrefix(".") && $0.hasSuffix("." + ext) }.sorted()
    }
}

/// The environment for a child: ours without RAPPORT_CONFIG, plus `extra`.
func childEnvironment(_ extra: [String: String]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["RAPPORT_CONFIG"] = nil
    environment.merge(extra) { $1 }
    return environment
}

/// A child process with stdout and stderr captured in files. Killed (SIGKILL) if still running
/// when stopped or deinitialised, so nothing outlives a test.
final class Child {
    let process = Process()
    let label: String
    private let stdoutPath: String
    private let stderrPath: String

    init(_ executable: String, _ arguments: [String], environment: [String: String], directory: String? = nil) throws {
        label = ([(executable as NSString).lastPathComponent] + arguments).joined(separator: " ")
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "rapport-cli-child-\(UUID().uuidString)")
        stdoutPath = base.path + ".stdout"
        stderrPath = base.path + ".stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        defer {
            try? out.close()
            try? err.close()
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits at most `timeout` for the process to exit; returns whether it did.
    @discardableResult
    func wait(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { return false }
            usleep(5_000)
        }
        process.waitUntilExit()
        return true
    }

    /// SIGKILL if still running, then reap.
    func stop() {
        guard process.processIdentifier != 0 else { return }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// The exit status, or `nil` when it was killed by a signal.
    var exitStatus: Int32? {
        process.terminationReason == .exit ? process.terminationStatus : nil
    }
}

/// What a finished command did.
struct CommandResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Non-empty lines of standard error.
    var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }

    var description: String { "exit \(status)\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)" }
}

/// Runs `rapport arguments…` to completion (at most `timeout`, then it is killed and this throws).
func rapport(
    _ arguments: [String], environment extra: [String: String] = [:], in directory: String? = nil,
    timeout: Duration = .seconds(20)
) throws -> CommandResult {
    let child = try Child(try Paths.rapport(), arguments, environment: childEnvironment(extra), directory: directory)
    guard child.wait(timeout: timeout) else {
        child.stop()
        throw Failure("`\(child.label)` did not finish within \(timeout); stderr: \(child.stderr)")
    }
    guard let status = child.exitStatus else {
        throw Failure("`\(child.label)` died of signal \(child.process.terminationStatus); stderr: \(child.stderr)")
    }
    return CommandResult(status: status, stdout: child.stdout, stderr: child.stderr)
}

/// Starts `rapport arguments…` without waiting for it (a daemon).
func startRapport(_ arguments: [String], environment extra: [String: String] = [:], in directory: String? = nil)
    throws -> Child
{
    try Child(try Paths.rapport(), arguments, environment: childEnvironment(extra), directory: directory)
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
@discardableResult
func waitUntil(timeout: Duration, interval: Duration = .milliseconds(20), _ condition: () throws -> Bool) rethrows
    -> Bool
{
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        let microseconds = interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000
        usleep(UInt32(max(microseconds, 100)))
    }
}

// MARK: - JSON

func jsonValue(_ text: String, what: String) throws -> Any {
    do {
        return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    } catch {
        throw Failure("\(what) is not JSON (\(error)): \(text)")
    }
}

func jsonObject(_ text: String, what: String) throws -> [String: Any] {
    guard let object = try jsonValue(text, what: what) as? [String: Any] else {
        throw Failure("\(what) is not a JSON object: \(text)")
    }
    return object
}

func jsonArray(_ text: String, what: String) throws -> [[String: Any]] {
    guard let array = try jsonValue(text, what: what) as? [[String: Any]] else {
        throw Failure("\(what) is not a JSON array of objects: \(text)")
    }
    return array
}

/// One entry of `rapport queue --json`.
struct QueueEntry: CustomStringConvertible {
    static let requiredKeys = ["id", "contact_id", "kind", "rule", "channel", "due_at", "state", "subject"]

    var id: String
    var contactID: String
    var kind: String
    var rule: String
    var channel: String
    var dueAtText: String
    var dueAt: Date
    var state: String
    var subject: String

    init(_ object: [String: Any]) throws {
        let missing = Self.requiredKeys.filter { object[$0] == nil }
        guard missing.isEmpty else { throw Failure("queue entry lacks \(missing): \(object)") }
        func string(_ key: String) throws -> String {
            guard let value = object[key] as? String else {
                throw Failure("queue entry: \(key) is not a string: \(object)")
            }
            return value
        }
        id = try string("id")
        contactID = try string("contact_id")
        kind = try string("kind")
        rule = try string("rule")
        channel = try string("channel")
        dueAtText = try string("due_at")
        state = try string("state")
        subject = try string("subject")
        guard let date = try? Date(dueAtText, strategy: .iso8601) else {
            throw Failure("queue entry: due_at \(dueAtText) is not ISO 8601")
        }
        dueAt = date
    }

    var description: String { "\(id) \(contactID) \(rule) \(channel) \(dueAtText) \(state)" }
}

/// `rapport queue --json` for `config`, parsed.
func queue(config: String, environment: [String: String] = [:]) throws -> [QueueEntry] {
    let result = try rapport(["queue", "--json", "--config", config], environment: environment)
    guard result.status == 0 else { throw Failure("rapport queue failed: \(result)") }
    return try jsonArray(result.stdout, what: "rapport queue --json").map(QueueEntry.init)
}

/// Parses an ISO 8601 instant used in the tests.
func instant(_ text: String) -> Date {
    (try? Date(text, strategy: .iso8601)) ?? Date(timeIntervalSince1970: 0)
}

// MARK: - Fixtures

/// The configuration sections every test shares; `rest` adds transports, rules and campaigns.
func configuration(data: String = "contacts.csv", rest: String) -> String {
    """
    [data]
    path = "\(data)"

    [store]
    path = "state/rapport.sqlite"

    [templates]
    path = "\(Paths.templates)"

    [sender]
    from = "Northwind Advisory <hello@northwind.example>"
    business_name = "Northwind Advisory"

    # The tests assert exact due times; staggering has its own tests in RapportCoreTests.
    [planning]
    stagger_minutes = 0

    \(rest)
    """
}

/// Maildir transports for both channels, into `mail/` and `hooks/`.
let maildirTransports = """
    [email]
    transport = "maildir"
    maildir = "mail"

    [webhook]
    transport = "maildir"
    maildir = "hooks"
    """

let csvHeader =
    "id,name,email,kind,timezone,tier,account_manager_name,account_manager_email,marketing_opt_in,last_contact_at,tags"

/// A client row whose last contact is long ago, so a check-in is due at once.
func clientRow(_ id: String, name: String, zone: String = "UTC", tier: String = "gold") -> String {
    let address = name.lowercased().replacingOccurrences(of: " ", with: ".")
    return
        "\(id),\(name),\(address)@example.com,client,\(zone),\(tier),Mary Somerville,mary@northwind.example,false,2026-01-05T10:00:00Z,"
}

/// A customer row with marketing opt-in and the given tag.
func customerRow(_ id: String, name: String, zone: String = "UTC", tag: String = "newsletter") -> String {
    let address = name.lowercased().replacingOccurrences(of: " ", with: ".")
    return "\(id),\(name),\(address)@example.com,customer,\(zone),,,,true,,\(tag)"
}

func csv(_ rows: [String]) -> String {
    ([csvHeader] + rows).joined(separator: "\n") + "\n"
}
