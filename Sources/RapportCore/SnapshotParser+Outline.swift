/// A data file validated without keeping its contacts: their ids and kinds, in id order, and
/// the record index of the plan basis. The first of the two reads of a streamed full plan
/// (``SnapshotParser/outline(fileName:size:pieces:)``); the second parses the file again piece
/// by piece (``SnapshotParser/ContactPieces``) and plans each piece as it comes.
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
    /// - Returns: `nil` when the ids do not ascend in the file (found at the end of the first
    ///   piece where they do not): such a file is parsed whole, and sorted, instead.
    public func outline(
        fileName: String, size: Int, pieces next: () throws(DataError) -> DataPiece?
    ) throws(DataErrors) -> DataOutline? {
        let parsed = try parse(fileName: fileName, indexing: true, outlining: true, size: size, pieces: next)
        guard parsed.inIDOrder else { return nil }
        return DataOutline(index: parsed.index, preamble: parsed.preamble, ids: parsed.ids, kinds: parsed.kinds)
    }

    /// The contacts of a file whose ``outline(fileName:size:pieces:)`` was taken, parsed again
    /// piece by piece for planning: each piece's contacts, validated, in the file's (id) order.
    public struct ContactPieces {
        private let fileName: String
        private let format: Format
        private var validator: ContactValidator
        private var columns: [String]?
        private var previousID: String?

        public init(parser: SnapshotParser, fileName: String) {
            self.fileName = fileName
            format = Format(fileName: fileName) ?? .csv
            validator = ContactValidator(file: fileName, defaultTimeZone: parser.defaultTimeZone)
        }

        /// The contacts of `piece`, the next piece of the file.
        /// - Throws: the piece's problems; a piece whose ids do not follow the last ones (the
        ///   file changed since it was outlined) is one.
        public mutating func contacts(in piece: DataPiece) throws(DataErrors) -> [Contact] {
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
            do {
                try SnapshotParser.forEachRecord(in: piece, format: format, fileName: fileName, columns: &columns, take)
            } catch {
                throw DataErrors([error])
            }
            let errors = validator.errors + (outOfOrder.map { [$0] } ?? [])
            guard errors.isEmpty else { throw SnapshotParser.inLineOrder(errors) }
            return contacts
        }
    }
}
