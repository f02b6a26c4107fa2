import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// An exclusive lock next to an SQLite store, so that a second daemon on the same store refuses
/// to start instead of sending alongside the first.
///
/// It is an open-file-description lock (`F_OFD_SETLK`), not `flock`, because only `fcntl` locks
/// can be *tested* without being taken: `rapport status` asks with `F_OFD_GETLK`, so a status
/// check at the moment a daemon starts can never make that daemon refuse to run.
public final class StoreLock {
    // Linux values; Glibc's Swift module does not export the OFD names (they need _GNU_SOURCE).
    private static let getLock: Int32 = 36  // F_OFD_GETLK
    private static let setLock: Int32 = 37  // F_OFD_SETLK

    private let descriptor: Int32
    public let path: String

    /// Takes the lock for the store at `storePath`, or throws naming the holder.
    public init(storePath: String) throws(LockError) {
        path = storePath + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LockError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var request = Self.wholeFile(F_WRLCK)
        guard fcntl(descriptor, Self.setLock, &request) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
            close(descriptor)
            throw LockError(
                description: "another rapport daemon is using \(storePath)"
                    + (holder.map { $0.isEmpty ? "" : " (pid \($0))" } ?? ""))
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
    }

    /// Whether a daemon holds the lock for the store at `storePath`; never takes the lock.
    public static func isHeld(storePath: String) -> Bool {
        let descriptor = open(storePath + ".lock", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var probe = wholeFile(F_WRLCK)
        guard fcntl(descriptor, getLock, &probe) == 0 else { return false }
        return probe.l_type != Int16(F_UNLCK)
    }

    private static func wholeFile(_ type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        return lock
    }

    deinit {
        // Closing the last descriptor of the open file description releases an OFD lock.
        close(descriptor)
    }
}

/// The store is locked by another daemon.
public struct LockError: Error, CustomStringConvertible {
    public var description: String
}
