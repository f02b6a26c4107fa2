/// A whole file parsed, with the record each contact came from.
public struct IndexedSnapshot: Sendable {
    public var snapshot: Snapshot
    /// The record of each contact, in file order; `nil` when the fast record scan and the
    /// parser disagreed about where records are (then the next plan parses the whole file).
    public var index: RecordIndex?
    /// The digest of the CSV header (0 for JSON).
    public var preamble: UInt64
}

/// What changed in a data file since the plan that stored `RecordIndex`.
public struct DataChanges: Sendable {
    /// Contacts whose records are new or edited, and the unchanged ones asked for, sorted by id.
    public var contacts: [Contact]
    /// Ids of contacts the last plan saw that no record has now.
    public var removedIDs: [String]
    /// The index of the file as it is now.
    public var index: RecordIndex
    /// Records the last plan saw, byte for byte, not parsed again.
    public var unchangedRecords: Int
}

extension SnapshotParser {
    /// Parses only the records of `bytes` that the last plan did not see byte for byte, and
    /// the records of the contacts in `including`.
    ///
    /// Every record parsed is validated as in a full parse, and an id used twice is an error
    /// with both lines, whether the other record changed or not.
    ///
    /// - Returns: `nil` when the file cannot be compared with `previous` (another CSV header,
    ///   an unknown format, two identical records out of place: see
    ///   ``match(_:toEntries:lookingAhead:)``): parse the whole file instead.
    public func parseChanges(
        _ bytes: [UInt8], fileName: String, since previous: RecordIndex, preamble: UInt64,
        including: Set<String> = []
    ) throws(DataErrors) -> DataChanges? {
        guard let format = Format(fileName: fileName) else { return nil }
        let scan: DataRecords.Scan
        do {
            scan = try DataRecords.scan(bytes, format: format, fileName: fileName)
        } catch {
            throw DataErrors([error])
        }
        guard scan.preamble == preamble else { return nil }
        var columns: [String] = []
        if format == .csv {
            guard let names = Self.columns(of: scan.header, in: bytes) else { return nil }
            columns = names
        }

        // The last plan's records, in file order: their digests and where their ids are.
        var oldDigests: [UInt64] = []
        var idRanges: [Range<Int>] = []
        oldDigests.reserveCapacity(previous.count)
        idRanges.reserveCapacity(previous.count)
        previous.forEachEntry { digest, id in
            oldDigests.append(digest)
            idRanges.append(id)
        }
        // The last plan's entry of each record of the file, -1 for a new or edited record.
        guard
            let entries = Self.match(scan.records, toEntries: oldDigests)
        else { return nil }
        var seen = [Bool](repeating: false, count: idRanges.count)
        var toParse: [DataRecord] = []
        var unchanged = 0
        for (record, entry) in zip(scan.records, entries) {
            guard entry >= 0 else {
                toParse.append(record)
                continue
            }
            seen[Int(entry)] = true
            unchanged += 1
            if !including.isEmpty, including.contains(previous.id(at: idRanges[Int(entry)])) { toParse.append(record) }
        }
        // Contacts whose record is gone or edited; an edited one comes back among the parsed.
        var goneIDs = Set<String>()
        for (entry, stillThere) in seen.enumerated() where !stillThere {
            goneIDs.insert(previous.id(at: idRanges[entry]))
        }

        var validator = ContactValidator(file: fileName, defaultTimeZone: defaultTimeZone)
        var errors: [DataError] = []
        var contacts: [Contact] = []
        var lineOfID: [String: Int] = [:]
        // The id each parsed record made, by its digest.
        var parsed = DigestTable(capacity: toParse.count)
        var parsedIDs: [String] = []
        for record in toParse {
            let fields: [String: RawValue]
            do {
                fields = try Self.fields(of: record, in: bytes, columns: columns, format: format, fileName: fileName)
            } catch {
                errors.append(error)
                continue
            }
            guard let contact = validator.contact(from: fields, line: record.line) else { continue }
            if let first = lineOfID[contact.id] {
                errors.append(
                    Self.duplicate(
                        contact.id, fileName: fileName, line: max(first, record.line), first: min(first, record.line)))
                continue
            }
            lineOfID[contact.id] = record.line
            _ = parsed.insert(record.digest, value: parsedIDs.count)
            parsedIDs.append(contact.id)
            contacts.append(contact)
        }
        // A new or edited record may take the id of a record that did not change (or repeat
        // one that did not change, byte for byte).
        let newIDs = Set(lineOfID.keys).subtracting(goneIDs).subtracting(including)
        if !newIDs.isEmpty {
            var idLines: [String: Int] = [:]
            for (record, entry) in zip(scan.records, entries) where entry >= 0 {
                let id = previous.id(at: idRanges[Int(entry)])
                if newIDs.contains(id) { idLines[id] = record.line }
            }
            for (id, line) in idLines {
                let other = lineOfID[id]!
                errors.append(Self.duplicate(id, fileName: fileName, line: max(line, other), first: min(line, other)))
            }
        }
        errors.insert(contentsOf: validator.errors, at: 0)
        if !errors.isEmpty {
            throw Self.inLineOrder(errors)
        }

        var index = RecordIndex(reservingCapacity: previous.bytes.count + toParse.count * 32)
        for (record, entry) in zip(scan.records, entries) {
            if entry >= 0 {
                index.append(copyingEntryWithID: idRanges[Int(entry)], of: previous)
            } else if let position = parsed.value(for: record.digest) {
                index.append(digest: record.digest, id: parsedIDs[position])
            }
        }
        contacts.sort { $0.id < $1.id }
        let removed = goneIDs.subtracting(lineOfID.keys).sorted()
        return DataChanges(contacts: contacts, removedIDs: removed, index: index, unchangedRecords: unchanged)
    }

    /// Which of the last plan's entries (by digest, in file order) each record is, `-1` for
    /// none: a new or edited record.
    ///
    /// A file mostly holds the records it held, in the same order, so they are matched in
    /// order first: a record is the entry expected next, or one of the few after it (those
    /// before it were edited or removed). Only the records left over are looked up among the
    /// entries left over, by digest. A million records edited here and there cost one pass,
    /// not a million-entry table; a file reordered costs the table.
    ///
    /// - Returns: `nil` when two of the records left over have the same bytes, or two of the
    ///   entries left over the same digest (then the file is parsed whole, which reports why).
    static func match(_ records: [DataRecord], toEntries entries: [UInt64], lookingAhead reach: Int = 64) -> [Int32]? {
        var matched = [Int32](repeating: -1, count: records.count)
        var taken = [Bool](repeating: false, count: entries.count)
        var leftOver: [(position: Int, digest: UInt64)] = []
        var expected = 0
        for (position, record) in records.enumerated() {
            let digest = record.digest
            if let entry = entries[expected..<min(expected + reach, entries.count)].firstIndex(of: digest) {
                matched[position] = Int32(entry)
                taken[entry] = true
                expected = entry + 1
            } else {
                leftOver.append((position, digest))
            }
        }
        guard !leftOver.isEmpty else { return matched }
        var table = DigestTable(capacity: entries.count - taken.lazy.filter { $0 }.count)
        for (entry, digest) in entries.enumerated() where !taken[entry] {
            guard table.insert(digest, value: entry) else { return nil }
        }
        for (position, digest) in leftOver {
            guard let entry = table.value(for: digest) else { continue }
            guard !taken[entry] else { return nil }  // the same bytes twice
            taken[entry] = true
            matched[position] = Int32(entry)
        }
        return matched
    }

    /// The fields of one record, read on its own: a CSV record by the file's column names, a
    /// JSON one as the object it is. Errors name the record's line in the file.
    static func fields(
        of record: DataRecord, in bytes: [UInt8], columns: [String], format: Format, fileName: String
    ) throws(DataError) -> [String: RawValue] {
        switch format {
        case .json, .jsonLines:
            return try decodeObject(bytes[record.range], fileName: fileName, line: record.line)
        case .csv:
            var text = Array(bytes[record.range])
            text.append(0x0A)
            var reader = CSVReader(text)
            guard var row = reader.next(), reader.error == nil else {
                let error = reader.error ?? CSVReader.SyntaxError(line: 1, problem: "not a CSV record")
                throw DataError(
                    file: fileName, line: record.line + error.line - 1, field: nil, problem: error.problem)
            }
            row.line = record.line
            return try csvFields(row, columns: columns, fileName: fileName)
        }
    }

    /// The column names of a CSV file's header; `nil` when they cannot be read.
    static func columns(of header: Range<Int>?, in bytes: [UInt8]) -> [String]? {
        guard let header else { return nil }
        var text = Array(bytes[header])
        text.append(0x0A)
        var reader = CSVReader(text)
        guard let row = reader.next(), reader.error == nil else { return nil }
        return csvColumns(row)
    }
}
