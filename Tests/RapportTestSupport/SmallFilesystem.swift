import Foundation
import Synchronization

/// A small `tmpfs` of the tests' own, to fill up: a disk that is really full, not simulated.
///
/// Mounting needs root (or a mount namespace); where it cannot be done the tests that need it
/// are skipped, said loudly on standard error.
public final class SmallFilesystem {
    public let path: String

    /// Mounts a `tmpfs` of `megabytes` at a new temporary folder.
    public init(megabytes: Int) throws {
        path = NSTemporaryDirectory() + "rapport-small-fs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.run(["/bin/mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
    }

    /// A new folder on it, owned by `user` when that account exists (a PostgreSQL server
    /// running as `postgres` must own its tablespace's folder).
    public func folder(_ name: String, ownedBy user: String) throws -> String {
        let folder = path + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if getuid() == 0, let account = getpwnam(user) {
            guard chown(folder, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw Failure("cannot give \(folder) to \(user)")
            }
        }
        return folder
    }

    /// Fills what room is left with a file (until the write fails: no space left); its path.
    public func fill() throws -> String {
        let filler = path + "/filler"
        // Close-on-exec ("e"): a process another test starts meanwhile must not inherit the
        // file, or removing it would free no room while that process lives.
        guard let handle = fopen(filler, "we") else { throw Failure("cannot create \(filler)") }
        defer { fclose(handle) }
        let chunk = [UInt8](repeating: 0x2E, count: 64 * 1_024)
        for _ in 0..<100_000 {
            let written = chunk.withUnsafeBytes { fwrite($0.baseAddress, 1, chunk.count, handle) }
            if written < chunk.count || fflush(handle) != 0 { return filler }
        }
        throw Failure("\(path) did not fill up")
    }

    /// Unmounts it and removes the folder.
    public func unmount() {
        try? Self.run(["/bin/umount", "-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Whether a `tmpfs` can be mounted here; says why not on standard error, once.
    public static let canMount: Bool = {
        do {
            let probe = try SmallFilesystem(megabytes: 1)
            probe.unmount()
            return true
        } catch {
            let banner = String(repeating: "!", count: 78)
            FileHandle.standardError.write(
                Data("\n\(banner)\nSKIPPING the full-disk tests: cannot mount a tmpfs (\(error))\n\(banner)\n\n".utf8))
            return false
        }
    }()

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                "\(arguments.joined(separator: " ")) failed: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
