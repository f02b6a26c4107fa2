import Crypto
import Foundation
import RapportCore
import RapportStore

/// The relationship-data file, read again only when it changed on disk.
public final class DataSource {
    public let path: String
    let parser: SnapshotParser
    private var stamp: FileStamp?
    private var hashed: (stamp: FileStamp, hash: String)?
    /// The bytes ``contentHash()`` last read, kept for the load that usually follows it (so a
    /// plan reads the file once, not twice); taken by that load or dropped by ``dropReadAhead()``.
    private var readAhead: (stamp: FileStamp, bytes: [UInt8])?
    /// The SHA-256 of the bytes of the last snapshot loaded.
    public private(set) var loadedHash: String?
    /// The records of the file last loaded, for the plan basis; `nil` when it could not be
    /// indexed.
    public private(set) var loadedIndex: RecordIndex?
    /// The CSV header digest of the file last loaded.
    public private(set) var loadedPreamble: UInt64 = 0

    struct FileStamp: Equatable {
        var modified: Date
        var size: Int
        var inode: Int
    }

    public init(path: String, parser: SnapshotParser) {
        self.path = path
        self.parser = parser
    }

    /// Reads and validates the whole file without keeping its contacts: the first of the two
    /// reads of a streamed full plan, which then reads the file again with
    /// ``readContacts(_:)``. Sets ``loadedHash``, ``loadedIndex`` and ``loadedPreamble`` as
    /// ``load()`` does.
    /// - Returns: `nil` when the file cannot be streamed (a JSON array is one piece anyway; a
    ///   CSV or JSON Lines file whose ids do not ascend, and whose records the scan cannot
    ///   find again, is parsed whole): ``load()`` it.
    public func outline() throws(DataErrors) -> DataOutline? {
        let outline = try readWhole { (format, reader) throws(DataErrors) -> DataOutline? in
            guard format != .json else { return nil }
            return try parser.outline(fileName: path, size: reader.sizeAtOpen) { () throws(DataError) in
                try self.nextPiece(of: reader)
            }
        }
        loadedIndex = outline?.index
        loadedPreamble = outline?.preamble ?? 0
        return outline
    }

    /// Validates the whole file, keeping none of its contacts when it can (``outline()``; else
    /// a ``load()`` whose snapshot is dropped).
    /// - Returns: how many contacts it holds.
    public func validate() throws(DataErrors) -> Int {
        if let outline = try outline() { return outline.count }
        return try load().contacts.count
    }

    /// Reads the whole file with `parse`, hashing it as it is read unless ``contentHash()``
    /// just hashed it; notes the file's stamp and hash when `parse` returns something.
    private func readWhole<Parsed>(
        _ parse: (SnapshotParser.Format, DataFileReader) throws(DataErrors) -> Parsed?
    ) throws(DataErrors) -> Parsed? {
        readAhead = nil
        let stampBefore = currentStamp()
        guard let format = SnapshotParser.Format(fileName: path) else {
            throw DataErrors([SnapshotParser.unknownFormat(path)])
        }
        guard let reader = DataFileReader(path: path, format: format) else { throw Self.unreadable(path) }
        var digester: FileDigester?
        if hashed?.stamp != stampBefore {
            digester = FileDigester(size: reader.sizeAtOpen)
            reader.observe = { digester?.update($0) }
        }
        let parsed = try parse(format, reader)
        reader.observe = nil
        guard parsed != nil else { return nil }
        noteLoaded(stampBefore: stampBefore, digest: digester?.finalize(count: reader.bytesRead))
        return parsed
    }

    /// How many records a file not in id order is read again at a time.
    static let recordsPerBatch = 16_384

    /// Reads the file again after ``outline()``, handing `plan` its contacts in id order a
    /// batch at a time: piece by piece for a file in id order, else record by record at the
    /// outline's spots. Then, if the file changed since it was outlined, ``loadedHash``
    /// becomes one no later read can match, so that the next tick plans again.
    /// - Throws: the problems of a batch (the file changed into something invalid, or into
    ///   ids out of order), which end the read.
    public func readContacts(
        as outline: DataOutline, _ plan: (_ next: () throws -> [Contact]?) throws -> Void
    ) throws {
        let stampBefore = stamp
        var pieces = SnapshotParser.ContactPieces(parser: parser, fileName: path, outline: outline)
        if let spots = outline.spots {
            guard let file = RecordFile(path: path) else { throw Self.unreadable(path) }
            var start = 0
            try plan {
                guard start < spots.count else { return nil }
                let batch = spots[start..<min(start + Self.recordsPerBatch, spots.count)]
                start = batch.endIndex
                return try pieces.contacts(at: batch, in: file)
            }
        } else {
            guard let format = SnapshotParser.Format(fileName: path),
                let reader = DataFileReader(path: path, format: format)
            else { throw Self.unreadable(path) }
            try plan {
                guard let piece = try self.nextPiece(of: reader) else { return nil }
                return try pieces.contacts(in: piece)
            }
        }
        if currentStamp() != stampBefore {
            loadedHash = "changed while read \(UUID())"
        }
    }

    private func nextPiece(of reader: DataFileReader) throws(DataError) -> DataPiece? {
        do throws(DataFileReadError) {
            return try reader.next()
        } catch {
            throw DataError(file: path, line: 0, field: nil, problem: error.description)
        }
    }

    /// Notes the stamp and hash of a file just read whole (`digest`: its bytes' digest, when
    /// they were hashed as they were read and all of them were).
    private func noteLoaded(stampBefore: FileStamp?, digest: String?) {
        stamp = currentStamp()
        if let hashed, hashed.stamp == stampBefore, stamp == stampBefore {
            loadedHash = hashed.hash
        } else if let digest, stamp == stampBefore, let stamp {
            loadedHash = digest
            hashed = (stamp, digest)
        } else {
            // Changed while it was read: a hash no later read of the file can match, so the
            // next tick plans it again.
            loadedHash = "changed while read \(UUID())"
        }
    }

    /// Reads and validates the whole file.
    ///
    /// The file is read a few megabytes at a time (``DataFileReader``), each piece parsed and
    /// dropped, and hashed as it goes unless ``contentHash()`` just hashed it: at a million
    /// contacts its 155 MB are never held beside the contacts.
    public func load() throws(DataErrors) -> Snapshot {
        let parsed = try readWhole { (_, reader) throws(DataErrors) -> IndexedSnapshot? in
            try parser.parseIndexed(fileName: path, size: reader.sizeAtOpen) { () throws(DataError) in
                try self.nextPiece(of: reader)
            }
        }
        loadedIndex = parsed?.index
        loadedPreamble = parsed?.preamble ?? 0
        guard let parsed else { throw Self.unreadable(path) }
        return parsed.snapshot
    }

    /// Reads the file and parses only the records that are not in `basis`'s index byte for
    /// byte, and those of the contacts in `including`.
    /// - Returns: `nil` when the file cannot be compared with the basis: load it whole.
    public func loadChanges(since basis: PlanBasis, including: Set<String>) throws(DataErrors) -> DataChanges? {
        let bytes = try readFile()
        guard
            let changes = try parser.parseChanges(
                bytes, fileName: path, since: basis.index, preamble: basis.preamble, including: including)
        else { return nil }
        loaded(bytes)
        loadedIndex = changes.index
        loadedPreamble = basis.preamble
        return changes
    }

    /// The file's bytes, in one copy (not a `Data` and then an array made from it).
    private func readFile() throws(DataErrors) -> [UInt8] {
        if let readAhead {
            self.readAhead = nil
            if readAhead.stamp == currentStamp() { return readAhead.bytes }
        }
        guard let bytes = Self.contents(of: path) else { throw Self.unreadable(path) }
        return bytes
    }

    private static func unreadable(_ path: String) -> DataErrors {
        DataErrors([DataError(file: path, line: 0, field: nil, problem: "cannot read the file")])
    }

    /// Notes the file's stamp and hash after a successful load (hashed again only when its
    /// stamp changed since ``contentHash()`` last hashed it).
    private func loaded(_ bytes: [UInt8]) {
        stamp = currentStamp()
        if let stamp, let hashed, hashed.stamp == stamp {
            loadedHash = hashed.hash
        } else {
            loadedHash = Self.digest(of: bytes)
            if let stamp, let loadedHash { hashed = (stamp, loadedHash) }
        }
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
        guard let bytes = Self.contents(of: path) else { return nil }
        let hash = Self.digest(of: bytes)
        hashed = (current, hash)
        readAhead = (current, bytes)
        return hash
    }

    /// Frees the bytes ``contentHash()`` read when no load is to follow.
    public func dropReadAhead() {
        readAhead = nil
    }

    /// What the plan's fingerprint keeps of the file's bytes: their SHA-256. A file of 16 MiB or
    /// more is hashed as two halves side by side, on the two cores a plan has (the SHA-256 of
    /// the size and the halves' digests): every plan of the changes hashes the whole file first.
    static func digest(of bytes: [UInt8]) -> String {
        guard bytes.count >= 16 << 20 else { return hexDigits(SHA256.hash(data: bytes)) }
        return bytes.withUnsafeBytes { raw in
            let middle = raw.count / 2
            let (first, second) = Parallel.both(
                { SHA256.hash(data: UnsafeRawBufferPointer(rebasing: raw[..<middle])) },
                { SHA256.hash(data: UnsafeRawBufferPointer(rebasing: raw[middle...])) })
            var combined = SHA256()
            combined.update(data: Array("\(raw.count)\n".utf8))
            combined.update(data: Array(first))
            combined.update(data: Array(second))
            return hexDigits(combined.finalize())
        }
    }

    /// ``digest(of:)`` of a file's bytes, fed as they are read: the halves are hashed one after
    /// the other (split where the size the file had when opened puts the middle).
    struct FileDigester {
        let size: Int
        private var whole = SHA256()
        private var second = SHA256()
        private var offset = 0

        init(size: Int) {
            self.size = size
        }

        mutating func update(_ block: UnsafeRawBufferPointer) {
            let middle = size >= 16 << 20 ? size / 2 : Int.max
            let split = min(max(middle - offset, 0), block.count)
            if split > 0 { whole.update(bufferPointer: UnsafeRawBufferPointer(rebasing: block[..<split])) }
            if split < block.count { second.update(bufferPointer: UnsafeRawBufferPointer(rebasing: block[split...])) }
            offset += block.count
        }

        /// The digest; `nil` when `count` bytes were read, not the size the file had when opened.
        func finalize(count: Int) -> String? {
            guard count == size, count == offset else { return nil }
            guard size >= 16 << 20 else { return hexDigits(whole.finalize()) }
            var combined = SHA256()
            combined.update(data: Array("\(size)\n".utf8))
            combined.update(data: Array(whole.finalize()))
            combined.update(data: Array(second.finalize()))
            return hexDigits(combined.finalize())
        }
    }

    /// The file's bytes, read straight into an array; `nil` when it cannot be read.
    ///
    /// A file of 16 MiB or more is read as two halves side by side: most of a read of a file
    /// the system has cached is copying it, and faulting in the memory it is copied to.
    static func contents(of path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        // The size as of now, and one byte more to see the end in the same round; a file
        // still growing is read to its end in further rounds.
        var round = Int(status.st_size) + 1
        var failed = false
        var bytes = [UInt8](unsafeUninitializedCapacity: round) { buffer, count in
            count = read(descriptor, into: buffer.baseAddress!, count: round, at: 0, failed: &failed)
        }
        var complete = bytes.count < round
        while !failed, !complete {
            let start = bytes.count
            round = max(round, 65_536)
            bytes.append(contentsOf: repeatElement(0, count: round))
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, into: buffer.baseAddress! + start, count: round, at: start, failed: &failed)
            }
            bytes.removeLast(round - count)
            complete = count < round
        }
        return failed ? nil : bytes
    }

    /// Reads up to `count` bytes at `offset` into `buffer`, as two halves side by side from 16
    /// MiB: how many it read (fewer at the end of the file).
    private static func read(
        _ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int, failed: inout Bool
    ) -> Int {
        /// Reads `range` of the requested bytes: how many of them, and whether a read failed.
        func readRange(_ range: Range<Int>) -> (count: Int, failed: Bool) {
            var filled = 0
            while filled < range.count {
                let n = pread(
                    descriptor, buffer + range.lowerBound + filled, range.count - filled,
                    off_t(offset + range.lowerBound + filled))
                if n < 0, errno == EINTR { continue }
                if n < 0 { return (filled, true) }
                if n == 0 { break }
                filled += n
            }
            return (filled, false)
        }
        guard count >= 16 << 20 else {
            let whole = readRange(0..<count)
            failed = failed || whole.failed
            return whole.count
        }
        let middle = count / 2
        let (first, second) = Parallel.both({ readRange(0..<middle) }, { readRange(middle..<count) })
        failed = failed || first.failed || second.failed
        // A file cut short while it was read ends where its first half did.
        return first.count < middle ? first.count : middle + second.count
    }

    private func currentStamp() -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return FileStamp(
            modified: attributes[.modificationDate] as? Date ?? .distantPast,
            size: (attributes[.size] as? NSNumber)?.intValue ?? 0,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue ?? 0)
    }
}
