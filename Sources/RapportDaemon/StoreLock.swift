import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// An exclusive lock next to an SQLite store, so that a second daemon on the same store refuses
/// to start instead of sending alongside the first.
public final class StoreLock {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock for the store at `storePath`, or throws naming the holder.
    public init(storePath: String) throws(LockError) {
        path = storePath + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LockError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
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

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// The store is locked by another daemon.
public struct LockError: Error, CustomStringConvertible {
    public var description: String
}
