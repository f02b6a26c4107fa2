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
    func contactsInPieces(_ bytes: [UInt8], _ name: String, readSize: Int) throws -> [[Contact]] {
        let format = try #require(SnapshotParser.Format(fileName: name))
        let reader = try #require(DataFileReader(path: try file(bytes, name), format: format, readSize: readSize))
        var pieces = SnapshotParser.ContactPieces(parser: parser, fileName: name)
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

            let batches = try contactsInPieces(bytes, name, readSize: readSize)
            #expect(batches.flatMap { $0 } == whole.snapshot.contacts)
            if readSize == 64 { #expect(batches.count > 10) }
        }
    }

    /// A file whose ids do not ascend is not outlined (it is loaded and sorted instead), even
    /// when the first id out of order is in a later piece.
    @Test func aFileOutOfIDOrderIsNotOutlined() throws {
        var rows = (10...70).map { "c\($0),N,customer,UTC\n" }
        rows.swapAt(40, 41)
        let bytes = Array(("id,name,kind,timezone\n" + rows.joined()).utf8)
        #expect(try outline(bytes, "x.csv", readSize: 64) == nil)
        #expect(try outline(bytes, "x.csv", readSize: 1 << 20) == nil)
        #expect(try parser.parseIndexed(bytes, fileName: "x.csv").snapshot.contacts.count == 61)
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
        let cases = [
            replacing(30, with: "c40,N,partner,UTC\n"),
            replacing(31, with: "c40,N,customer,UTC\n"),
            replacing(20, with: "c30,N\n"),
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
