#if canImport(Glibc)
    import Glibc
#endif

/// Part of a data file: whole records, the first of them on line `firstLine`.
public struct DataPiece: Sendable {
    public var bytes: [UInt8]
    /// The line the piece starts on (1 for the start of the file, which holds a CSV header).
    public var firstLine: Int
    /// Where in the file the piece starts, in bytes.
    public var offset: Int

    public init(bytes: [UInt8], firstLine: Int = 1, offset: Int = 0) {
        self.bytes = bytes
        self.firstLine = firstLine
        self.offset = offset
    }

    /// How many line breaks the piece holds: the next piece starts that many lines later.
    public var lineBreaks: Int {
        bytes.withUnsafeBufferPointer { $0.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
    }
}

/// Reads a data file a few megabytes at a time, each piece ending where a record ends, so that
/// a large file is parsed without its bytes being held whole beside the contacts made from
/// them (155 MB at a million contacts).
///
/// CSV records end at a line break outside quotes (quotes counted as the scan counts them: a
/// stray quote is reported by the parser, at the same line as in a whole read), JSON Lines
/// records at any line break; a JSON array is read as one piece. A record longer than a piece
/// makes its piece longer.
public final class DataFileReader {
    private let descriptor: Int32
    private let format: SnapshotParser.Format
    /// Where each read lands: `readSize`, or less for a file smaller than that (but never so
    /// little that a file growing as it is read would be read a few bytes a call).
    private let block: UnsafeMutableRawBufferPointer
    /// Bytes read but not handed out yet: the start of a record whose end is still to come.
    private var pending: [UInt8] = []
    /// How much of `pending` was searched for a record's end, and whether that much ends
    /// inside quotes (CSV).
    private var searched = 0
    private var quoted = false
    private var nextLine = 1
    private var atEnd = false
    /// The file's size when it was opened.
    public let sizeAtOpen: Int
    /// How many bytes were read so far.
    public private(set) var bytesRead = 0
    /// Told each block of bytes as it is read, in file order (for a digest of the whole file).
    public var observe: ((UnsafeRawBufferPointer) -> Void)?

    /// Opens `path`; `nil` when it cannot be opened.
    public init?(path: String, format: SnapshotParser.Format, readSize: Int = 4 << 20) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            return nil
        }
        self.format = format
        sizeAtOpen = Int(status.st_size)
        // One byte more than the file to see its end in the same round.
        block = .allocate(byteCount: max(min(readSize, max(sizeAtOpen + 1, 64 << 10)), 1), alignment: 16)
        // A JSON array is one piece: read into room for all of it.
        if format == .json { pending.reserveCapacity(sizeAtOpen + block.count) }
    }

    deinit {
        block.deallocate()
        close(descriptor)
    }

    /// The next piece, `nil` after the last.
    /// - Throws: when the file cannot be read.
    public func next() throws(DataFileReadError) -> DataPiece? {
        while true {
            if !atEnd { try readBlock() }
            let end = atEnd ? pending.count : lastRecordEnd()
            if end > 0 {
                return take(end)
            }
            if atEnd { return nil }
        }
    }

    /// Hands out `pending[..<end]` and keeps the rest.
    private func take(_ end: Int) -> DataPiece {
        let offset = bytesRead - pending.count
        var bytes = Array(pending[end...])
        swap(&bytes, &pending)
        bytes.removeSubrange(end...)
        searched -= end
        let piece = DataPiece(bytes: bytes, firstLine: nextLine, offset: offset)
        nextLine += piece.lineBreaks
        return piece
    }

    /// The offset just past the last line break that ends a record in `pending`; 0 for none.
    private func lastRecordEnd() -> Int {
        switch format {
        case .json:
            return 0
        case .jsonLines:
            searched = pending.count
            return (pending.lastIndex(of: 0x0A) ?? -1) + 1
        case .csv:
            var end = 0
            pending.withUnsafeBufferPointer { buffer in
                var quoted = self.quoted
                for position in searched..<buffer.count {
                    let byte = buffer[position]
                    if byte == 0x22 {
                        quoted.toggle()
                    } else if byte == 0x0A, !quoted {
                        end = position + 1
                    }
                }
                self.quoted = quoted
            }
            searched = pending.count
            return end
        }
    }

    /// Reads a block (or what is left of the file) and appends it to `pending`.
    private func readBlock() throws(DataFileReadError) {
        var filled = 0
        while filled < block.count {
            let n = read(descriptor, block.baseAddress! + filled, block.count - filled)
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw DataFileReadError(code: errno) }
            if n == 0 { break }
            filled += n
        }
        if filled < block.count { atEnd = true }
        let bytes = UnsafeRawBufferPointer(rebasing: block[..<filled])
        pending.append(contentsOf: bytes)
        bytesRead += filled
        if filled > 0 { observe?(bytes) }
    }
}

/// Where one record of a data file is: its bytes and the line it starts on, for reading it
/// again by itself (``RecordFile``). 16 bytes, as a million of them are held.
public struct RecordSpot: Sendable, Equatable {
    public var offset: Int
    public var length: UInt32
    public var line: UInt32

    /// `nil` when the record is too long, or starts too far down, to be noted in 16 bytes.
    init?(offset: Int, length: Int, line: Int) {
        guard let length = UInt32(exactly: length), let line = UInt32(exactly: line) else { return nil }
        self.offset = offset
        self.length = length
        self.line = line
    }
}

/// A data file read a record at a time, at the spots a first read found.
public final class RecordFile {
    private let descriptor: Int32

    /// Opens `path`; `nil` when it cannot be opened.
    public init?(path: String) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
    }

    deinit {
        close(descriptor)
    }

    /// The bytes of the record at `spot`; `nil` when the file no longer reaches that far.
    /// - Throws: when they cannot be read.
    public func bytes(at spot: RecordSpot) throws(DataFileReadError) -> [UInt8]? {
        let length = Int(spot.length)
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            while count < length {
                let n = pread(descriptor, buffer.baseAddress! + count, length - count, off_t(spot.offset + count))
                if n < 0, errno == EINTR { continue }
                if n < 0 { failure = errno }
                if n <= 0 { return }
                count += n
            }
        }
        guard failure == 0 else { throw DataFileReadError(code: failure) }
        return bytes.count == length ? bytes : nil
    }
}

/// A data file that could not be read to its end.
public struct DataFileReadError: Error, Sendable, CustomStringConvertible {
    /// The `errno` of the failed read.
    public var code: Int32

    public var description: String { "cannot read the file (\(String(cString: strerror(code))))" }
}
