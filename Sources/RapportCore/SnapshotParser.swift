import Foundation

/// Reads relationship data (JSON array, JSON Lines or CSV) into a validated ``Snapshot``.
///
/// Parsing is pure: it takes the bytes and the file name, and either returns a snapshot or
/// throws ``DataErrors`` listing every problem with its line and field.
public struct SnapshotParser: Sendable {
    /// The format of a data file, chosen by its extension.
    public enum Format: String, Sendable {
        case json
        case jsonLines
        case csv

        /// The format for a file name, or `nil` for an unknown extension.
        public init?(fileName: String) {
            switch (fileName as NSString).pathExtension.lowercased() {
            case "json": self = .json
            case "jsonl", "ndjson": self = .jsonLines
            case "csv": self = .csv
            default: return nil
            }
        }
    }

    /// The time zone used for contacts whose record has none; `nil` makes `timezone` required.
    public var defaultTimeZone: TimeZone?

    public init(defaultTimeZone: TimeZone? = nil) {
        self.defaultTimeZone = defaultTimeZone
    }

    /// Parses and validates a whole file.
    public func parse(_ bytes: [UInt8], fileName: String) throws(DataErrors) -> Snapshot {
        try parse(bytes, fileName: fileName, indexing: false).snapshot
    }

    /// Parses and validates a whole file, and indexes its records for
    /// ``parseChanges(_:fileName:since:preamble:including:)``.
    public func parseIndexed(_ bytes: [UInt8], fileName: String) throws(DataErrors) -> IndexedSnapshot {
        try parse(bytes, fileName: fileName, indexing: true)
    }

    /// A whole file parsed as one piece.
    private func parse(_ bytes: [UInt8], fileName: String, indexing: Bool) throws(DataErrors) -> IndexedSnapshot {
        var whole: DataPiece? = DataPiece(bytes: bytes)
        return try parse(fileName: fileName, indexing: indexing, size: bytes.count) { () throws(DataError) in
            defer { whole = nil }
            return whole
        }
    }

    /// Parses, validates and indexes a file read piece by piece: each piece is scanned and
    /// parsed as it comes and then dropped, so only the contacts are held.
    /// - Parameter size: the file's size, to size the contacts' array from the first piece.
    public func parseIndexed(
        fileName: String, size: Int, pieces next: () throws(DataError) -> DataPiece?
    ) throws(DataErrors) -> IndexedSnapshot {
        try parse(fileName: fileName, indexing: true, size: size, pieces: next)
    }

    /// A full parse, into a snapshot.
    private func parse(
        fileName: String, indexing: Bool, size: Int, pieces next: () throws(DataError) -> DataPiece?
    ) throws(DataErrors) -> IndexedSnapshot {
        let parsed = try parse(fileName: fileName, indexing: indexing, outlining: false, size: size, pieces: next)
        return IndexedSnapshot(
            snapshot: Snapshot(contacts: parsed.contacts, source: fileName), index: parsed.index,
            preamble: parsed.preamble)
    }

    /// What ``parse(fileName:indexing:outlining:size:pieces:)`` found.
    struct Parsed {
        var contacts: [Contact] = []
        var index: RecordIndex?
        var preamble: UInt64 = 0
        /// Outlining: each contact's id (in a record index whose digests are 0 where the file
        /// went unindexed) and kind, in file order, and whether the ids ascend.
        var ids = RecordIndex()
        var kinds: [ContactKind] = []
        var inIDOrder = true
        /// Outlining a file whose ids do not ascend: where each contact's record is, in id
        /// order (`ids` and `kinds` are in id order too); `nil` for a file in id order, or one
        /// whose records could not all be found (``inIDOrder`` false and no spots: load it).
        var spots: [RecordSpot]?
        /// The columns of a CSV file not in id order, whose records are read again by themselves.
        var columns: [String]?
    }

    /// A full parse; with `indexing`, the record of each contact too: the scan's records in
    /// file order, each with the id its bytes made. Where the scan and the parser disagree
    /// about where a record is, the file goes unindexed.
    ///
    /// With `outlining`, no contact is kept: only its id and kind (``Parsed/ids``,
    /// ``Parsed/kinds``). Where the ids ascend, a repeated one is found beside the first; where
    /// they do not, the ids are sorted at the end (their positions, beside a copy of the ids as
    /// strings: 24 bytes a contact while sorting, for ids that fit a string's 15 inline bytes)
    /// and each contact's record is noted (``Parsed/spots``), for reading the contacts again in
    /// id order. A file whose records the scan could not find is outlined only while its ids
    /// ascend: the first one out of order ends the parse at the end of its piece, with
    /// ``Parsed/inIDOrder`` false and no spots.
    func parse(
        fileName: String, indexing: Bool, outlining: Bool, size: Int, pieces next: () throws(DataError) -> DataPiece?
    ) throws(DataErrors) -> Parsed {
        guard let format = Format(fileName: fileName) else { throw DataErrors([Self.unknownFormat(fileName)]) }
        var validator = ContactValidator(file: fileName, defaultTimeZone: defaultTimeZone)
        var contacts: [Contact] = []
        var result = Parsed()
        /// Outlining: the last id and the line it was first on.
        var previous: (id: String, line: Int)?
        /// Outlining: ids repeated on the line after, found while the ids ascend.
        var adjacentDuplicates: [DataError] = []
        /// Outlining: where each contact's record is, in file order.
        var spots: [RecordSpot] = []
        var pieceOffset = 0
        /// The line of each contact, for duplicate ids: found once the contacts are in id order,
        /// instead of by a table of ids (60 MB at a million contacts, held with the file).
        var lines: [Int] = []
        var errors: [DataError] = []
        var index = RecordIndex()
        var indexed = indexing
        var preamble: UInt64 = 0
        var recordCount = 0
        /// The records the scan found in the piece being parsed, and the next one to match.
        var records: [DataRecord] = []
        var cursor = 0
        // Each record is validated as it is read and then dropped: a million rows never sit in
        // memory as field dictionaries next to the contacts made from them.
        func take(_ line: Int, _ fields: [String: RawValue]) {
            guard let contact = validator.contact(from: fields, line: line) else { return }
            note(contact, line: line)
        }
        /// Notes a valid contact, in file order.
        func note(_ contact: Contact, line: Int) {
            var digest: UInt64 = 0
            if indexed {
                while cursor < records.count, records[cursor].line < line { cursor += 1 }
                if cursor < records.count, records[cursor].line == line {
                    let record = records[cursor]
                    digest = record.digest
                    cursor += 1
                    if outlining {
                        if let spot = RecordSpot(
                            offset: pieceOffset + record.range.lowerBound, length: record.range.count, line: line)
                        {
                            spots.append(spot)
                        } else {
                            indexed = false
                        }
                    }
                } else {
                    indexed = false
                }
            }
            // Outlining keeps every id, the digest or not.
            if indexed || outlining { index.append(digest: digest, id: contact.id) }
            guard outlining else {
                contacts.append(contact)
                lines.append(line)
                return
            }
            result.kinds.append(contact.kind)
            if result.inIDOrder, let last = previous {
                if contact.id == last.id {
                    adjacentDuplicates.append(
                        Self.duplicate(contact.id, fileName: fileName, line: line, first: last.line))
                    return
                }
                if contact.id < last.id { result.inIDOrder = false }
            }
            previous = (contact.id, line)
        }
        var columns: [String]?
        /// Starts on the records a piece's scan found (`nil`: the scan failed, and the file
        /// goes unindexed).
        func use(_ scan: DataRecords.Scan?) {
            guard indexed else { return }
            if let scan {
                records = scan.records
                recordCount += records.count
            } else {
                indexed = false
                records = []
            }
            cursor = 0
        }
        /// Notes the contacts of a piece whose scan and contacts are ready.
        func takePrepared(_ piece: DataPiece, _ prepared: PreparedPiece) throws(DataError) {
            pieceOffset = piece.offset
            use(prepared.scan)
            for (line, contact) in prepared.contacts { note(contact, line: line) }
            if let error = prepared.error { throw error }
        }
        /// The validator of the pieces prepared on the other thread.
        var otherValidator = ContactValidator(file: fileName, defaultTimeZone: defaultTimeZone)
        do {
            // Out of id order, a file is outlined only if its records can be found again.
            while result.inIDOrder || (indexed && outlining), let piece = try next() {
                if piece.firstLine > 1, format != .json, let second = try next() {
                    // Past the header, two pieces are scanned, parsed and validated side by
                    // side (each with a validator of its own), and noted in file order.
                    let (scanning, known) = (indexed, columns)
                    let (first, later) = Parallel.both(
                        {
                            Self.prepare(
                                piece, format: format, fileName: fileName, columns: known, scanning: scanning,
                                validator: &validator)
                        },
                        {
                            Self.prepare(
                                second, format: format, fileName: fileName, columns: known, scanning: scanning,
                                validator: &otherValidator)
                        })
                    try takePrepared(piece, first)
                    guard result.inIDOrder || (indexed && outlining) else { break }
                    try takePrepared(second, later)
                    continue
                }
                pieceOffset = piece.offset
                if contacts.capacity == 0, result.kinds.capacity == 0, format != .json {
                    // A record a line (give or take a header and quoted line breaks), the
                    // file's lines estimated from its first piece with room to spare: the
                    // arrays are made once at their size instead of doubling their way there
                    // (room never written takes no memory).
                    let breaks = piece.lineBreaks
                    let estimate =
                        breaks + 1 + (breaks + 1) * max(size - piece.bytes.count, 0) * 3 / 2 / max(piece.bytes.count, 1)
                    if outlining {
                        result.kinds.reserveCapacity(estimate)
                    } else {
                        contacts.reserveCapacity(estimate)
                        lines.reserveCapacity(estimate)
                    }
                }
                if indexed {
                    // A file the scan cannot split is not one the parser accepts either: it
                    // reports why.
                    let scan = try? DataRecords.scan(
                        piece.bytes, format: format, fileName: fileName, firstLine: piece.firstLine)
                    if let scan, piece.firstLine == 1 { preamble = scan.preamble }
                    use(scan)
                }
                try Self.forEachRecord(in: piece, format: format, fileName: fileName, columns: &columns, take)
            }
        } catch {
            // A file that cannot be read to its end is reported as that alone.
            throw DataErrors([error])
        }
        records = []
        let validationErrors = validator.errors + otherValidator.errors
        if outlining {
            errors.insert(contentsOf: validationErrors, at: 0)
            let indexComplete = indexed && recordCount == result.kinds.count
            var order: [Int] = []
            if result.inIDOrder {
                errors += adjacentDuplicates
            } else {
                guard indexComplete, spots.count == result.kinds.count else { return result }
                let ids: [String]
                (ids, order) = Self.idOrder(of: index)
                errors += Self.duplicates(
                    in: order, id: { ids[$0] }, line: { Int(spots[$0].line) }, fileName: fileName)
            }
            if !errors.isEmpty { throw Self.inLineOrder(errors) }
            result.index = indexComplete ? index : nil
            result.preamble = preamble
            if result.inIDOrder {
                result.ids = index
            } else {
                result.columns = columns
                result.ids = Self.arranged(index, in: order)
                result.kinds = order.map { result.kinds[$0] }
                result.spots = order.map { spots[$0] }
            }
            return result
        }
        let order = Snapshot.idOrder(of: contacts)
        func repeated(_ positions: some Sequence<Int>) -> [DataError] {
            Self.duplicates(in: positions, id: { contacts[$0].id }, line: { lines[$0] }, fileName: fileName)
        }
        errors += order.map { repeated($0) } ?? repeated(contacts.indices)
        lines = []
        errors.insert(contentsOf: validationErrors, at: 0)
        if !errors.isEmpty {
            throw Self.inLineOrder(errors)
        }
        // Handed over in id order, not copied (`contacts` is captured by `take`, so it cannot
        // be consumed).
        var valid: [Contact] = []
        swap(&valid, &contacts)
        if let order { Snapshot.arrange(&valid, in: order) }
        indexed = indexed && index.count == valid.count && recordCount == valid.count
        result.contacts = consume valid
        result.index = indexed ? index : nil
        result.preamble = preamble
        return result
    }

    /// A piece of a file scanned, parsed and validated, ready to be noted in file order.
    struct PreparedPiece {
        /// Its records as the scan found them; `nil` when not scanned, or the scan failed.
        var scan: DataRecords.Scan?
        /// Its valid contacts, with their lines.
        var contacts: [(line: Int, contact: Contact)] = []
        /// What ended its parse early (the file ends inside a record, say).
        var error: DataError?
    }

    /// Scans (when `scanning`), parses and validates `piece`, a piece after the CSV header
    /// (whose `columns` it is read with); the problems of its records go to `validator`.
    static func prepare(
        _ piece: DataPiece, format: Format, fileName: String, columns: [String]?, scanning: Bool,
        validator: inout ContactValidator
    ) -> PreparedPiece {
        var prepared = PreparedPiece()
        if scanning {
            prepared.scan = try? DataRecords.scan(
                piece.bytes, format: format, fileName: fileName, firstLine: piece.firstLine)
        }
        var columns = columns
        do {
            try forEachRecord(in: piece, format: format, fileName: fileName, columns: &columns) { line, fields in
                guard let contact = validator.contact(from: fields, line: line) else { return }
                prepared.contacts.append((line, contact))
            }
        } catch {
            prepared.error = error
        }
        return prepared
    }

    /// The ids of `index`, and their positions in id order (equal ids in file order).
    private static func idOrder(of index: RecordIndex) -> (ids: [String], order: [Int]) {
        var ids: [String] = []
        ids.reserveCapacity(index.count)
        index.forEachEntry { _, range in ids.append(index.id(at: range)) }
        return (ids, Snapshot.idOrder(ofIDs: ids) ?? Array(ids.indices))
    }

    /// The entries of `index` (digests kept) with the one at `order[i]` in position `i`.
    private static func arranged(_ index: RecordIndex, in order: [Int]) -> RecordIndex {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(index.count)
        index.forEachEntry { _, range in ranges.append(range) }
        var arranged = RecordIndex(reservingCapacity: index.bytes.count)
        for position in order { arranged.append(copyingEntryWithID: ranges[position], of: index) }
        return arranged
    }

    /// The error for a file whose extension names no format.
    public static func unknownFormat(_ fileName: String) -> DataError {
        DataError(file: fileName, line: 1, field: nil, problem: "unknown data format; use .json, .jsonl or .csv")
    }

    /// An error for every position whose id an earlier line has: `positions` puts equal ids
    /// side by side, in file order.
    private static func duplicates(
        in positions: some Sequence<Int>, id: (Int) -> String, line: (Int) -> Int, fileName: String
    ) -> [DataError] {
        var errors: [DataError] = []
        // The position of the first contact with the id at hand.
        var first: Int?
        for position in positions {
            if let first, id(position) == id(first) {
                errors.append(duplicate(id(position), fileName: fileName, line: line(position), first: line(first)))
            } else {
                first = position
            }
        }
        return errors
    }

    /// An id used a second time, on `line`; `first` is where it was first.
    static func duplicate(_ id: String, fileName: String, line: Int, first: Int) -> DataError {
        DataError(file: fileName, line: line, field: "id", problem: "duplicate id '\(id)' (first on line \(first))")
    }

    /// The problems of a file, as reported: by line, then field.
    static func inLineOrder(_ errors: [DataError]) -> DataErrors {
        DataErrors(errors.sorted { ($0.line, $0.field ?? "") < ($1.line, $1.field ?? "") })
    }

    // MARK: - Formats

    /// Calls `body` with each record of a file's rows: its line and its fields by name.
    typealias RecordHandler = (_ line: Int, _ fields: [String: RawValue]) -> Void

    /// Reads the records of `piece`, a piece of a file in `format`; `columns` carries a CSV
    /// header's columns from the first piece to the next ones.
    static func forEachRecord(
        in piece: DataPiece, format: Format, fileName: String, columns: inout [String]?, _ body: RecordHandler
    ) throws(DataError) {
        switch format {
        case .json: try forEachJSONArrayRecord(piece.bytes, fileName: fileName, body)
        case .jsonLines: try forEachJSONLinesRecord(piece.bytes, fileName: fileName, firstLine: piece.firstLine, body)
        case .csv:
            columns = try forEachCSVRecord(
                piece.bytes, fileName: fileName, firstLine: piece.firstLine, columns: columns, body)
        }
    }

    /// Reads the rows of `bytes`, which start on line `firstLine`: the header first when that
    /// is 1, else rows of the `columns` an earlier piece's header named.
    /// - Returns: the columns, or `nil` when the file has no header.
    @discardableResult
    static func forEachCSVRecord(
        _ bytes: [UInt8], fileName: String, firstLine: Int = 1, columns: [String]? = nil, _ body: RecordHandler
    ) throws(DataError) -> [String]? {
        var reader = CSVReader(bytes, firstLine: firstLine)
        var columns = columns
        if columns == nil, let header = reader.next() {
            columns = csvColumns(header)
        }
        if let columns {
            while let row = reader.next() {
                if row.fields.count == 1 && row.fields[0].isEmpty { continue }  // blank line
                body(row.line, try csvFields(row, columns: columns, fileName: fileName))
            }
        }
        if let error = reader.error {
            throw DataError(file: fileName, line: error.line, field: nil, problem: error.problem)
        }
        return columns
    }

    /// The column names of a CSV header: trimmed and lowercased.
    static func csvColumns(_ header: CSVReader.Record) -> [String] {
        header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    /// A CSV row's non-empty fields by column name.
    static func csvFields(_ row: CSVReader.Record, columns: [String], fileName: String) throws(DataError)
        -> [String: RawValue]
    {
        guard row.fields.count == columns.count else {
            throw DataError(
                file: fileName, line: row.line, field: nil,
                problem: "row has \(row.fields.count) fields, the header has \(columns.count)")
        }
        var fields: [String: RawValue] = Dictionary(minimumCapacity: columns.count)
        for (column, value) in zip(columns, row.fields) where !value.isEmpty {
            fields[column] = .string(value)
        }
        return fields
    }

    static func forEachJSONLinesRecord(
        _ bytes: [UInt8], fileName: String, firstLine: Int = 1, _ body: RecordHandler
    ) throws(DataError) {
        var lineNumber = firstLine - 1
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            body(lineNumber, try decodeObject(line, fileName: fileName, line: lineNumber))
        }
    }

    static func forEachJSONArrayRecord(_ bytes: [UInt8], fileName: String, _ body: RecordHandler) throws(DataError) {
        for element in try JSONArraySplitter.elements(of: bytes, fileName: fileName) {
            body(element.line, try decodeObject(bytes[element.range], fileName: fileName, line: element.line))
        }
    }

    static func decodeObject(_ bytes: some Collection<UInt8>, fileName: String, line: Int) throws(DataError)
        -> [String: RawValue]
    {
        let value: RawValue
        do {
            value = try JSONValueParser.value(of: bytes)
        } catch {
            throw DataError(file: fileName, line: line, field: nil, problem: "not valid JSON")
        }
        guard case .object(let fields) = value else {
            throw DataError(
                file: fileName, line: line, field: nil, problem: "expected an object, found \(value.typeName)")
        }
        return fields.filter { $0.value != .null }
    }
}
