import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Replaces a file whole: written to a temporary file beside it, then renamed over it, so a
/// reader finds the old bytes or the new ones, never a mix.
public enum AtomicFile {
    /// Why a replacement failed: the operation, the file and the system's reason.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes `bytes` to `target` (in `directory`) through a temporary file and a rename.
    /// - Parameters:
    ///   - durably: fsync the file before the rename and the directory after it, so that the
    ///     new bytes survive a power loss (a message handed over); without, a crash may leave
    ///     the old file, the new one, or (after a power loss) an empty one: for a cache that
    ///     checks what it reads.
    ///   - mode: the permissions of a new file.
    public static func replace(
        _ bytes: [UInt8], to target: String, directory: String, durably: Bool = true, mode: mode_t = 0o644
    ) throws(Failure) {
        let name = (target as NSString).lastPathComponent
        let temporary = directory + "/.\(name).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("create", temporary) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, bytes.count - written)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                let error = failure("write", temporary)
                close(fd)
                unlink(temporary)
                throw error
            }
            written += result
        }
        guard !durably || fsync(fd) == 0 else {
            let error = failure("fsync", temporary)
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, target) == 0 else {
            let error = failure("rename", target)
            unlink(temporary)
            throw error
        }
        guard durably else { return }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    private static func failure(_ operation: String, _ path: String) -> Failure {
        Failure(description: "\(operation) \(path): \(String(cString: strerror(errno)))")
    }
}
