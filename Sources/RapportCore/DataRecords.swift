/// One record of a data file: the line it starts on, where its bytes are, and a digest of
/// them. Two records with the same bytes make the same contact, so a record whose digest the
/// last plan already saw needs neither parsing nor planning again.
public struct DataRecord: Sendable, Hashable {
    public var line: Int
    public var range: Range<Int>
    public var digest: UInt64
}

/// Finds the records of a data file without parsing their fields: a fast pass over the bytes
/// that a re-plan makes to tell which records changed.
public enum DataRecords {
    /// The records of `bytes` in file order, and a digest of what every record's meaning
    /// depends on besides its own bytes (a CSV file's header; 0 for JSON).
    ///
    /// Blank lines are not records. A bad CSV or JSON Lines record is not an error here: it is
    /// parsed, and reported, like any changed record. A JSON array that cannot be split into
    /// elements is: read as "no records", it would withdraw every contact.
    ///
    /// A piece of a file read piece by piece (``DataFileReader``) is scanned as it comes:
    /// `firstLine` is the line it starts on, and only the piece that starts the file (line 1)
    /// holds a CSV header.
    ///
    /// Bytes of `halvingFrom` or more (16 MiB) are scanned as two halves side by side, on the
    /// two cores a plan has: every plan of the changes scans the whole file.
    public static func scan(
        _ bytes: [UInt8], format: SnapshotParser.Format, fileName: String, firstLine: Int = 1,
        halvingFrom threshold: Int = 16 << 20
    ) throws(DataError) -> Scan {
        switch format {
        case .csv: return scanCSV(bytes, firstLine: firstLine, halvingFrom: threshold)
        case .jsonLines:
            return Scan(header: nil, records: scanLines(bytes, firstLine: firstLine, halvingFrom: threshold))
        case .json:
            let elements = try JSONArraySplitter.elements(of: bytes, fileName: fileName)
            return Scan(
                header: nil,
                records: elements.map { DataRecord(line: $0.line, range: $0.range, digest: digest(bytes, $0.range)) })
        }
    }

    /// A file's records, and its CSV header.
    public struct Scan: Sendable {
        /// The CSV header's bytes; `nil` for JSON.
        public var header: Range<Int>?
        public var records: [DataRecord]
        /// A digest of what every record's meaning depends on besides its own bytes: the CSV
        /// header (0 for JSON).
        public var preamble: UInt64 = 0
    }

    /// CSV records end at a line break outside quotes; the first is the header.
    ///
    /// Halved, the second half starts after the first line break past the middle, scanned as
    /// if outside quotes; if the first half shows that line break was inside quotes after all,
    /// the bytes are scanned again in one piece.
    private static func scanCSV(_ bytes: [UInt8], firstLine: Int, halvingFrom threshold: Int) -> Scan {
        var scan = bytes.withUnsafeBufferPointer { buffer in
            let start = firstLine == 1 ? CSVReader.byteOrderMarkLength(of: buffer) : 0
            func inOnePiece() -> Scan {
                scanCSV(buffer, start..<buffer.count, firstLine: firstLine, header: firstLine == 1).scan
            }
            guard buffer.count >= threshold, let split = buffer[(buffer.count / 2)...].firstIndex(of: 0x0A) else {
                return inOnePiece()
            }
            let (first, second) = Parallel.both(
                { scanCSV(buffer, start..<(split + 1), firstLine: firstLine, header: firstLine == 1) },
                { scanCSV(buffer, (split + 1)..<buffer.count, firstLine: 0, header: false) })
            guard !first.endsInQuotes else { return inOnePiece() }
            var scan = first.scan
            scan.records.append(second.scan.records, fromLine: first.nextLine)
            return scan
        }
        if let header = scan.header { scan.preamble = digest(bytes, header) }
        return scan
    }

    /// The CSV records of `range`, which starts a record; `header`: the first is the header.
    /// - Returns: also the line after the last, and whether `range` ended inside quotes.
    private static func scanCSV(
        _ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, firstLine: Int, header inHeader: Bool
    ) -> (scan: Scan, nextLine: Int, endsInQuotes: Bool) {
        var records: [DataRecord] = []
        records.reserveCapacity(range.count / 64)
        var header: Range<Int>?
        var inHeader = inHeader
        var position = range.lowerBound
        var line = firstLine
        var quoted = false
        while position < range.upperBound {
            let start = position
            let startLine = line
            quoted = false
            while position < range.upperBound {
                let byte = buffer[position]
                if byte == 0x22 {
                    quoted.toggle()
                } else if byte == 0x0A {
                    line += 1
                    if !quoted { break }
                }
                position += 1
            }
            var end = position
            position += 1  // past the line break
            if end > start, buffer[end - 1] == 0x0D { end -= 1 }
            let record = start..<end
            if inHeader {
                header = record
                inHeader = false
            } else if !record.isEmpty {
                records.append(DataRecord(line: startLine, range: record, digest: digest(buffer, record)))
            }
        }
        return (Scan(header: header, records: records), line, quoted)
    }

    /// JSON Lines: a record a line, blank lines skipped; halved at the first line break past
    /// the middle.
    private static func scanLines(_ bytes: [UInt8], firstLine: Int, halvingFrom threshold: Int) -> [DataRecord] {
        bytes.withUnsafeBufferPointer { buffer in
            guard buffer.count >= threshold, let split = buffer[(buffer.count / 2)...].firstIndex(of: 0x0A) else {
                return scanLines(buffer, 0..<buffer.count, firstLine: firstLine).records
            }
            let (first, second) = Parallel.both(
                { scanLines(buffer, 0..<(split + 1), firstLine: firstLine) },
                { scanLines(buffer, (split + 1)..<buffer.count, firstLine: 0) })
            var records = first.records
            records.append(second.records, fromLine: first.nextLine)
            return records
        }
    }

    /// The JSON Lines records of `range`, which starts a line; also the line after the last.
    private static func scanLines(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, firstLine: Int) -> (
        records: [DataRecord], nextLine: Int
    ) {
        var records: [DataRecord] = []
        records.reserveCapacity(range.count / 64)
        var position = range.lowerBound
        var line = firstLine - 1
        while position < range.upperBound {
            line += 1
            let start = position
            var blank = true
            while position < range.upperBound, buffer[position] != 0x0A {
                let byte = buffer[position]
                if byte != 0x20, byte != 0x09, byte != 0x0D { blank = false }
                position += 1
            }
            let record = start..<position
            position += 1
            if !blank { records.append(DataRecord(line: line, range: record, digest: digest(buffer, record))) }
        }
        return (records, line + 1)
    }

    static func digest(_ bytes: [UInt8], _ range: Range<Int>) -> UInt64 {
        bytes.withUnsafeBufferPointer { digest($0, range) }
    }

    /// A 64-bit digest of `range`, eight bytes a step. Not cryptographic: it tells an edited
    /// record from the one the last plan saw (two of a million records colliding: about 1 in
    /// 30 million), which is all a re-plan needs.
    static func digest(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(range.count)
        var position = range.lowerBound
        let raw = UnsafeRawBufferPointer(buffer)
        while position + 8 <= range.upperBound {
            let word = raw.loadUnaligned(fromByteOffset: position, as: UInt64.self)
            hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 32
            position += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while position < range.upperBound {
            tail |= UInt64(buffer[position]) << shift
            shift += 8
            position += 1
        }
        hash = (hash ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 29
        hash = hash &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 32)
    }
}

extension [DataRecord] {
    /// Appends the records of the half scanned after these, whose lines were counted from 0:
    /// that half starts on `line`.
    mutating func append(_ later: [DataRecord], fromLine line: Int) {
        reserveCapacity(count + later.count)
        for var record in later {
            record.line += line
            append(record)
        }
    }
}

/// Which contact each record of the data file made, in file order: what the last plan saw,
/// stored with it, so that the next one can tell changed records from unchanged ones.
///
/// Kept as one byte array (per record: the digest, the id's length and the id), because a
/// million small strings cost far more to store, load and hold.
public struct RecordIndex: Sendable, Equatable {
    /// The serialized index, as stored.
    public private(set) var bytes: [UInt8]
    public private(set) var count = 0

    public init() {
        bytes = []
    }

    /// An index read back from the store; `nil` when the bytes are not one.
    public init?(serialized bytes: [UInt8]) {
        self.bytes = bytes
        var valid = true
        var count = 0
        forEachEntry { _, _ in
            count += 1
        } onMalformed: {
            valid = false
        }
        guard valid else { return nil }
        self.count = count
    }

    /// A digest of the serialized index: a copy kept apart from what describes it is checked
    /// against it.
    public var checksum: UInt64 { DataRecords.digest(bytes, 0..<bytes.count) }

    public mutating func append(digest: UInt64, id: String) {
        append(digest: digest, idBytes: id.utf8.prefix(Int(UInt16.max)))
    }

    /// An empty index with room for `capacity` bytes of entries.
    init(reservingCapacity capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends the entry of `other` whose id is at `id`, bytes as they are (its digest and
    /// length come just before its id).
    mutating func append(copyingEntryWithID id: Range<Int>, of other: RecordIndex) {
        bytes.append(contentsOf: other.bytes[(id.lowerBound - 10)..<id.upperBound])
        count += 1
    }

    /// One entry: the digest, the id's length, the id.
    private mutating func append(digest: UInt64, idBytes: some Collection<UInt8>) {
        withUnsafeBytes(of: digest.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt16(idBytes.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: idBytes)
        count += 1
    }

    /// Calls `body` with each entry's digest and the range of its id's bytes.
    func forEachEntry(_ body: (UInt64, Range<Int>) -> Void, onMalformed: () -> Void = {}) {
        bytes.withUnsafeBytes { raw in
            var position = 0
            while position < raw.count {
                guard position + 10 <= raw.count else { return onMalformed() }
                let digest = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                let length = Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: position + 8, as: UInt16.self)))
                guard position + 10 + length <= raw.count else { return onMalformed() }
                body(digest, (position + 10)..<(position + 10 + length))
                position += 10 + length
            }
        }
    }

    /// The range of the id of the entry that starts at `offset`.
    func idRange(at offset: Int) -> Range<Int> {
        let length = bytes.withUnsafeBytes { raw in
            Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt16.self)))
        }
        return (offset + 10)..<(offset + 10 + length)
    }

    /// Where the entry that starts at `offset` ends: where the next one starts.
    func entryEnd(at offset: Int) -> Int { idRange(at: offset).upperBound }

    func id(at range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }
}

/// Record digests to small integers: an open-addressing table, several times faster than a
/// `Dictionary` for the million lookups of a re-plan (digests are already well mixed).
struct DigestTable {
    private var keys: [UInt64]
    private var values: [Int32]
    private let mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: -1, count: size)
        mask = size - 1
    }

    /// The value stored for `digest`, if any.
    func value(for digest: UInt64) -> Int? {
        var slot = Int(truncatingIfNeeded: digest) & mask
        while values[slot] >= 0 {
            if keys[slot] == digest { return Int(values[slot]) }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Stores `value` for `digest`; `false` (and nothing stored) when it is there already.
    mutating func insert(_ digest: UInt64, value: Int) -> Bool {
        var slot = Int(truncatingIfNeeded: digest) & mask
        while values[slot] >= 0 {
            if keys[slot] == digest { return false }
            slot = (slot + 1) & mask
        }
        keys[slot] = digest
        values[slot] = Int32(value)
        return true
    }
}
