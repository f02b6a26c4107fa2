import Foundation
import RapportCore
import Testing

/// A data file read piece by piece parses as the whole file does: pieces end where records end
/// (quoted line breaks, CRLF, a byte order mark, a record longer than a piece), carry their
/// line numbers, and the contacts, the record index and the errors are the same.
@Suite struct DataFileReaderTests {
    let parser = SnapshotParser()
    /// Where this test writes its files, removed when it ends.
    let folder = ScratchFolder("reader")

    func file(_ bytes: [UInt8], _ name: String) throws -> String { try folder.write(bytes, name) }

    func pieces(of path: String, format: SnapshotParser.Format, readSize: Int) throws -> [DataPiece] {
        let reader = try #require(DataFileReader(path: path, format: format, readSize: readSize))
        var pieces: [DataPiece] = []
        while let piece = try reader.next() {
            pieces.append(piece)
            try #require(pieces.count < 10_000)
        }
        return pieces
    }

    @Test(arguments: [1, 16, 100, 1_000, 1 << 20])
    func piecesEndWhereRecordsEndAndStartOnTheirLines(readSize: Int) throws {
        for (bytes, name, format) in [
            (DataFiles.csv, "c.csv", SnapshotParser.Format.csv), (DataFiles.jsonLines, "j.jsonl", .jsonLines),
        ] {
            let pieces = try pieces(of: try file(bytes, name), format: format, readSize: readSize)
            #expect(pieces.flatMap(\.bytes) == bytes)
            var line = 1
            for (number, piece) in pieces.enumerated() {
                #expect(piece.firstLine == line)
                line += piece.bytes.filter { $0 == 0x0A }.count
                if number < pieces.count - 1 { #expect(piece.bytes.last == 0x0A) }
            }
            // Small reads make many pieces; none splits a quoted field.
            if readSize <= 100 { #expect(pieces.count > 10) }
        }
    }

    @Test(arguments: [1, 64, 1 << 20])
    func aFileReadInPiecesParsesAsTheWholeFile(readSize: Int) throws {
        for (bytes, name, format) in [
            (DataFiles.csv, "c.csv", SnapshotParser.Format.csv), (DataFiles.jsonLines, "j.jsonl", .jsonLines),
            (Array("[{\"id\": \"a\", \"kind\": \"client\", \"timezone\": \"UTC\"}]".utf8), "a.json", .json),
        ] {
            let whole = try parser.parseIndexed(bytes, fileName: name)
            let path = try file(bytes, name)
            let reader = try #require(DataFileReader(path: path, format: format, readSize: readSize))
            let read = try parser.parseIndexed(fileName: name, size: bytes.count) { () throws(DataError) in
                try? reader.next()
            }
            #expect(read.snapshot.contacts == whole.snapshot.contacts)
            #expect(read.snapshot.contacts.count > 0)
            #expect(read.index == whole.index)
            #expect(read.index != nil)
            #expect(read.preamble == whole.preamble)
        }
    }

    /// Errors in later pieces are reported at the lines a whole read reports them: a bad value,
    /// a repeated id across pieces, a short row, a stray quote, an unclosed quote.
    @Test func errorsInLaterPiecesNameTheirLines() throws {
        let header = "id,name,kind,timezone\n"
        let rows: [String] = (1...40).map { "c\($0),N,customer,UTC\n" }
        func inserting(_ row: String, at position: Int, appending last: String = "") -> String {
            var lines = rows
            lines.insert(row, at: position)
            return lines.joined() + last
        }
        let cases: [String] = [
            inserting("c99,N,partner,UTC\n", at: 20, appending: "c3,N,customer,UTC\n"),
            inserting("c99,N\n", at: 30),
            inserting("c99,N\"x,customer,UTC\n", at: 30),
            inserting("c99,\"N,customer,UTC\n", at: 30),
        ]
        for text in cases {
            let bytes = Array((header + text).utf8)
            let whole = errors { () throws(DataErrors) in try parser.parseIndexed(bytes, fileName: "x.csv") }
            let path = try file(bytes, "x.csv")
            let reader = try #require(DataFileReader(path: path, format: .csv, readSize: 50))
            let read = errors { () throws(DataErrors) in
                try parser.parseIndexed(fileName: "x.csv", size: bytes.count) { () throws(DataError) in
                    try? reader.next()
                }
            }
            #expect(!whole.isEmpty)
            #expect(read == whole)
        }
    }

    func errors(_ parse: () throws(DataErrors) -> IndexedSnapshot) -> [String] {
        do {
            _ = try parse()
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }
}
