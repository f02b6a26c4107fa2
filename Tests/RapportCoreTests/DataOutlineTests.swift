import Foundation
import RapportCore
import Testing

/// The two reads of a streamed full plan: the outline (validation keeping only ids, kinds and
/// the record index) agrees with a whole parse, and the contacts read again piece by piece are
/// the whole parse's contacts.
@Suite struct DataOutlineTests {
    let parser = SnapshotParser()
    /// Where this test writes its files, removed when it ends.
    let folder = ScratchFolder("outline")

    func file(_ bytes: [UInt8], _ name: String) throws -> String { try folder.write(bytes, name) }

    func outline(_ bytes: [UInt8], _ name: String, readSize: Int) throws(DataErrors) -> DataOutline? {
        let path: String
        do {
            path = try file(bytes, name)
        } catch {
            throw DataErrors([DataError(file: name, line: 0, field: nil, problem: "\(error)")])
        }
        let format = SnapshotParser.Format(fileName: name)!
        let reader = DataFileReader(path: path, format: format, readSize: readSize)!
        return try parser.outline(fileName: name, size: bytes.count) { () throws(DataError) in try? reader.next() }
    }

    /// Each piece's contacts, as the second read of a streamed plan parses them.
    func contactsInPieces(_ bytes: [UInt8], _ name: String, outline: DataOutline, readSize: Int) throws -> [[Contact]] {
        let format = try #require(SnapshotParser.Format(fileName: name))
        let reader = try #require(DataFileReader(path: try file(bytes, name), format: format, readSize: readSize))
        var pieces = SnapshotParser.ContactPieces(parser: parser, fileName: name, outline: outline)
        var batches: [[Contact]] = []
        while let piece = try reader.next() {
            batches.append(try pieces.contacts(in: piece))
            try #require(batches.count < 10_000)
        }
        return batches
    }

    @Test(arguments: [1, 64, 1 << 20])
    func anOutlineAndThePiecesAgreeWithTheWholeParse(readSize: Int) throws {
        for (bytes, name) in [(DataFiles.csv, "c.csv"), (DataFiles.jsonLines, "j.jsonl")] {
            let whole = try parser.parseIndexed(bytes, fileName: name)
            let outline = try #require(try outline(bytes, name, readSize: readSize))
            #expect(outline.count == whole.snapshot.contacts.count)
            #expect(outline.index == whole.index)
            #expect(outline.index != nil)
            #expect(outline.preamble == whole.preamble)
            let kinds = outline.idsAndKinds.map { "\($0.0):\($0.1)" }
            #expect(kinds == whole.snapshot.contacts.map { "\($0.id):\($0.kind)" })
            #expect(Set(kinds.map { $0.hasSuffix("client") }).count == 2)
            #expect(outline.idsAndKinds.count == kinds.count)

            let batches = try contactsInPieces(bytes, name, outline: outline, readSize: readSize)
            #expect(batches.flatMap { $0 } == whole.snapshot.contacts)
            if readSize == 64 { #expect(batches.count > 10) }
        }
    }

    /// The test files with their records in another order (the CSV header, and its byte-order
    /// mark, first): lines reversed, records with quoted line breaks included.
    static let shuffled: [(bytes: [UInt8], name: String)] = {
        func reversed(_ bytes: [UInt8], _ name: String) throws -> [UInt8] {
            let format = SnapshotParser.Format(fileName: name) ?? .csv
            let scan = try DataRecords.scan(bytes, format: format, fileName: name)
            let preamble = scan.header.map { Array(bytes[..<$0.upperBound]) + Array("\r\n".utf8) } ?? []
            return preamble + scan.records.reversed().flatMap { Array(bytes[$0.range]) + [0x0A] }
        }
        return [
            ((try? reversed(DataFiles.csv, "c.csv")) ?? [], "c.csv"),
            ((try? reversed(DataFiles.jsonLines, "j.jsonl")) ?? [], "j.jsonl"),
        ]
    }()

    /// A file whose ids do not ascend is outlined too, even when the first id out of order
    /// is in a later piece: its ids and kinds in id order, its record index in file order,
    /// and the contacts read again at their spots are the whole parse's, in id order.
    @Test(arguments: [64, 1 << 20])
    func aFileOutOfIDOrderIsOutlinedInIDOrder(readSize: Int) throws {
        for (bytes, name) in Self.shuffled {
            let whole = try parser.parseIndexed(bytes, fileName: name)
            #expect(whole.snapshot.contacts.count == 61 || whole.snapshot.contacts.count == 60)
            let outline = try #require(try outline(bytes, name, readSize: readSize))
            let spots = try #require(outline.spots)
            #expect(spots.count == whole.snapshot.contacts.count)
            #expect(outline.index == whole.index)
            #expect(outline.index != nil)
            #expect(outline.preamble == whole.preamble)
            #expect(
                outline.idsAndKinds.map { "\($0.0):\($0.1)" } == whole.snapshot.contacts.map { "\($0.id):\($0.kind)" })

            let file = try #require(RecordFile(path: folder.path(name)))
            var pieces = SnapshotParser.ContactPieces(parser: parser, fileName: name, outline: outline)
            var contacts: [Contact] = []
            for start in stride(from: 0, to: spots.count, by: 7) {
                contacts += try pieces.contacts(at: spots[start..<min(start + 7, spots.count)], in: file)
            }
            #expect(contacts == whole.snapshot.contacts)
        }
        // In id order, no spots are kept.
        #expect(try outline(DataFiles.csv, "c.csv", readSize: 64)?.spots == nil)
    }

    /// Records read at their spots after the file changed: one no longer there, or one whose
    /// id does not follow the last, is an error.
    @Test func recordsThatChangedSinceTheOutlineAreAnError() throws {
        let bytes = Array("id,kind,timezone\nc3,client,UTC\nc1,client,UTC\nc2,customer,UTC\n".utf8)
        let outline = try #require(try outline(bytes, "x.csv", readSize: 1 << 20))
        let spots = try #require(outline.spots)
        let path = folder.path("x.csv")
        #expect(outline.idsAndKinds.map(\.0) == ["c1", "c2", "c3"])

        _ = try folder.write(Array("id,kind,timezone\nc3,client,UTC\nc1,client,UTC\n".utf8), "x.csv")
        var pieces = SnapshotParser.ContactPieces(parser: parser, fileName: "x.csv", outline: outline)
        let file = try #require(RecordFile(path: path))
        #expect(try pieces.contacts(at: spots.prefix(1), in: file).map(\.id) == ["c1"])
        #expect(throws: DataErrors.self) { try pieces.contacts(at: spots.dropFirst(), in: file) }

        _ = try folder.write(Array("id,kind,timezone\nc3,client,UTC\nc9,client,UTC\nc0,customer,UTC\n".utf8), "x.csv")
        var again = SnapshotParser.ContactPieces(parser: parser, fileName: "x.csv", outline: outline)
        let changed = try #require(RecordFile(path: path))
        #expect(throws: DataErrors.self) { try again.contacts(at: spots, in: changed) }
    }

    /// The outline reports what the whole parse reports, at the same lines: a bad value, a
    /// repeated id (side by side in a file in id order, across pieces too), a short row.
    @Test func anOutlineReportsTheErrorsOfTheWholeParse() throws {
        let rows = (10...70).map { "c\($0),N,customer,UTC\n" }
        func replacing(_ position: Int, with row: String) -> [UInt8] {
            var lines = rows
            lines[position] = row
            return Array(("id,name,kind,timezone\n" + lines.joined()).utf8)
        }
        var shuffled = rows
        shuffled.swapAt(3, 50)
        shuffled[40] = "c12,N,client,UTC\n"
        shuffled[45] = "c12,N,client,UTC\n"
        let cases = [
            replacing(30, with: "c40,N,partner,UTC\n"),
            replacing(31, with: "c40,N,customer,UTC\n"),
            replacing(20, with: "c30,N\n"),
            // Read in pieces two at a time: a row that breaks the CSV in a later piece ends the
            // parse with that alone, as it does read in one piece.
            replacing(40, with: "c50,N,\"customer,UTC\n"),
            // Repeated ids in a file not in id order: found by sorting, reported at each repeat.
            Array(("id,name,kind,timezone\n" + shuffled.joined()).utf8),
        ]
        for bytes in cases {
            var whole: [String] = []
            do {
                _ = try parser.parseIndexed(bytes, fileName: "x.csv")
            } catch {
                whole = error.errors.map(\.description)
            }
            #expect(!whole.isEmpty)
            for readSize in [64, 1 << 20] {
                var outlined: [String] = []
                do {
                    _ = try outline(bytes, "x.csv", readSize: readSize)
                } catch {
                    outlined = error.errors.map(\.description)
                }
                #expect(outlined == whole)
            }
        }
    }

    /// A file that changed between the two reads so that its ids no longer ascend: the piece
    /// that shows it is an error, not a plan that would mistake contacts for removed ones.
    @Test func piecesWhoseIDsGoBackAreAnError() throws {
        var pieces = SnapshotParser.ContactPieces(parser: parser, fileName: "x.csv")
        _ = try pieces.contacts(in: DataPiece(bytes: Array("id,kind,timezone\nc2,client,UTC\n".utf8)))
        #expect(throws: DataErrors.self) {
            try pieces.contacts(in: DataPiece(bytes: Array("c1,client,UTC\n".utf8), firstLine: 3))
        }
        var again = SnapshotParser.ContactPieces(parser: parser, fileName: "x.csv")
        let first = try again.contacts(in: DataPiece(bytes: Array("id,kind,timezone\nc2,client,UTC\n".utf8)))
        let second = try again.contacts(in: DataPiece(bytes: Array("c3,client,UTC\n".utf8), firstLine: 3))
        #expect((first + second).map(\.id) == ["c2", "c3"])
    }
}
