import Crypto
import Foundation
import RapportCore

/// The relationship-data file, read again only when it changed on disk.
public final class DataSource {
    public let path: String
    let parser: SnapshotParser
    private var stamp: FileStamp?
    private var hashed: (stamp: FileStamp, hash: String)?
    /// The SHA-256 of the bytes of the last snapshot loaded.
    public private(set) var loadedHash: String?

    struct FileStamp: Equatable {
        var modified: Date
        var size: Int
        var inode: Int
    }

    public init(path: String, parser: SnapshotParser) {
        self.path = path
        self.parser = parser
    }

    /// Reads and validates the whole file.
    public func load() throws(DataErrors) -> Snapshot {
        let name = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataErrors([DataError(file: name, line: 0, field: nil, problem: "cannot read the file")])
        }
        let snapshot = try parser.parse(Array(data), fileName: name)
        stamp = currentStamp()
        loadedHash = hexDigits(SHA256.hash(data: data))
        if let stamp, let loadedHash { hashed = (stamp, loadedHash) }
        return snapshot
    }

    /// A new snapshot if the file changed since the last successful load, else `nil`.
    ///
    /// A file that fails validation is remembered too, so the same broken export is reported
    /// once rather than on every tick.
    public func loadIfChanged() throws(DataErrors) -> Snapshot? {
        let current = currentStamp()
        guard current == nil || current != stamp else { return nil }
        do {
            return try load()
        } catch {
            stamp = current
            throw error
        }
    }

    /// A SHA-256 of the file's bytes (read again only when its size, time or inode changed);
    /// `nil` when it cannot be read.
    public func contentHash() -> String? {
        guard let current = currentStamp() else { return nil }
        if let hashed, hashed.stamp == current { return hashed.hash }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let hash = hexDigits(SHA256.hash(data: data))
        hashed = (current, hash)
        return hash
    }

    private func currentStamp() -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return FileStamp(
            modified: attributes[.modificationDate] as? Date ?? .distantPast,
            size: (attributes[.size] as? NSNumber)?.intValue ?? 0,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue ?? 0)
    }
}
