/// A data file validated without keeping its contacts: their ids and kinds, in id order, and
/// the record index of the plan basis. The first of the two reads of a streamed full plan
/// (``SnapshotParser/outline(fileName:size:pieces:)``); the second parses the file again
/// (``SnapshotParser/ContactPieces``), piece by piece for a file in id order, or record by
/// record at its ``spots`` for one that is not, and plans the contacts as they come.
public struct DataOutline: Sendable {
    /// How many contacts the file holds.
    public var count: Int { kinds.count }
    /// The record of each contact, for the plan basis; `nil` when the file went unindexed.
    public let index: RecordIndex?
    /// The digest of the CSV header (0 for JSON Lines).
    public let preamble: UInt64
    /// Each contact's id (the digests are 0 where the file went unindexed), in id order.
    let ids: RecordIndex
    let kinds: [ContactKind]
    /// Where each contact's record is, in id order, for a file whose ids do not ascend;
    /// `nil` for one whose do (it is read again piece by piece).
    public let spots: [RecordSpot]?
    /// The columns of a CSV file not in id order, for reading its records by themselves (a
    /// file in id order is read again from its header).
    let columns: [String]?

    /// Each contact's id and kind, in id order.
    public var idsAndKinds: IDsAndKinds { IDsAndKinds(ids: ids, kinds: kinds) }

    /// Each contact's id and kind, read from the outline's bytes as they are iterated.
    public struct IDsAndKinds: Collection, Sendable {
        let ids: RecordIndex
        let kinds: [ContactKind]

        public var count: Int { kinds.count }

        /// A position: the offset of an entry in the ids' bytes, and its rank.
        public struct Index: Comparable, Sendable {
            let offset: Int
            let rank: Int
            public static func < (left: Index, right: Index) -> Bool { left.offset < right.offset }
        }

        public var startIndex: Index { Index(offset: 0, rank: 0) }
        public var endIndex: Index { Index(offset: ids.bytes.count, rank: count) }

        public func index(after position: Index) -> Index {
            Index(offset: ids.entryEnd(at: position.offset), rank: position.rank + 1)
        }

        public subscript(position: Index) -> (String, ContactKind) {
            (ids.id(at: ids.idRange(at: position.offset)), kinds[position.rank])
        }
    }
}

extension SnapshotParser {
    /// Validates a file read piece by piece as ``parseIndexed(fileName:size:pieces:)`` does,
    /// keeping only each contact's id and kind.
    ///
    /// A file whose ids do not ascend is outlined too: its ids are sorted, and the outline
    /// notes where each record is (``DataOutline/spots``).
    ///
    /// - Returns: `nil` when the ids do not ascend and the records cannot all be found again
    ///   (the scan and the parser disagree about where one is): such a file is parsed whole,
    ///   and sorted, instead.
    public func outline(
        fileName: String, size: Int, pieces next: () throws(DataError) -> DataPiece?
    ) throws(DataErrors) -> DataOutline? {
        let parsed = try parse(fileName: fileName, indexing: true, outlining: true, size: size, pieces: next)
        guard parsed.inIDOrder || parsed.spots != nil else { return nil }
        return DataOutline(
            index: parsed.index, preamble: parsed.preamble, ids: parsed.ids, kinds: parsed.kinds, spots: parsed.spots,
            columns: parsed.columns)
    }

    /// The contacts of a file whose ``outline(fileName:size:pieces:)`` was taken, parsed again
    /// for planning, validated, in id order: a piece at a time for a file in id order
    /// (``contacts(in:)``), or a batch of records at a time, read at their spots, for one that
    /// is not (``contacts(at:in:)``).
    public struct ContactPieces {
        private let fileName: String
        private let format: Format
        private var validator: ContactValidator
        private var columns: [String]?
        private var previousID: String?

        /// - Parameter outline: the file's outline, whose CSV columns its records are read
        ///   with when they are read at their spots.
        public init(parser: SnapshotParser, fileName: String, outline: DataOutline? = nil) {
            self.fileName = fileName
            format = Format(fileName: fileName) ?? .csv
            validator = ContactValidator(file: fileName, defaultTimeZone: parser.defaultTimeZone)
            columns = outline?.columns
        }

        /// The contacts of `piece`, the next piece of the file.
        /// - Throws: the piece's problems; a piece whose ids do not follow the last ones (the
        ///   file changed since it was outlined) is one.
        public mutating func contacts(in piece: DataPiece) throws(DataErrors) -> [Contact] {
            let (format, fileName) = (self.format, self.fileName)
            return try contacts { (columns: inout [String]?, take: RecordHandler) throws(DataError) in
                try SnapshotParser.forEachRecord(in: piece, format: format, fileName: fileName, columns: &columns, take)
            }
        }

        /// The contacts of the records at `spots` (the next ones in id order) in `file`.
        /// - Throws: their problems; a record that is no longer there, or whose id does not
        ///   follow the last one (the file changed since it was outlined), is one.
        public mutating func contacts(at spots: some Collection<RecordSpot>, in file: RecordFile) throws(DataErrors)
            -> [Contact]
        {
            let (format, fileName) = (self.format, self.fileName)
            return try contacts { (columns: inout [String]?, take: RecordHandler) throws(DataError) in
                for spot in spots {
                    let read: [UInt8]?
                    do throws(DataFileReadError) {
                        read = try file.bytes(at: spot)
                    } catch {
                        throw DataError(file: fileName, line: Int(spot.line), field: nil, problem: error.description)
                    }
                    guard let bytes = read else {
                        throw DataError(
                            file: fileName, line: Int(spot.line), field: nil,
                            problem: "the file ends before this record: it changed while it was planned")
                    }
                    let piece = DataPiece(bytes: bytes, firstLine: Int(spot.line), offset: spot.offset)
                    try SnapshotParser.forEachRecord(
                        in: piece, format: format, fileName: fileName, columns: &columns, take)
                }
            }
        }

        /// The contacts `read` hands to the record handler it is given, validated.
        private mutating func contacts(
            _ read: (_ columns: inout [String]?, RecordHandler) throws(DataError) -> Void
        ) throws(DataErrors) -> [Contact] {
            var contacts: [Contact] = []
            var outOfOrder: DataError?
            func take(_ line: Int, _ fields: [String: RawValue]) {
                guard let contact = validator.contact(from: fields, line: line) else { return }
                if let previousID, !(previousID < contact.id), outOfOrder == nil {
                    outOfOrder = DataError(
                        file: fileName, line: line, field: "id",
                        problem:
                            "'\(contact.id)' does not follow '\(previousID)': the file changed while it was planned")
                }
                previousID = contact.id
                contacts.append(contact)
            }
            var columns = self.columns
            do {
                try read(&columns, take)
            } catch {
                throw DataErrors([error])
            }
            self.columns = columns
            let errors = validator.errors + (outOfOrder.map { [$0] } ?? [])
            guard errors.isEmpty else { throw SnapshotParser.inLineOrder(errors) }
            return contacts
        }
    }
}
