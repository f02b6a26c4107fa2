import Foundation
import Testing

@testable import RapportCore

/// Reading only what changed in a data file: the record scan agrees with the parser about
/// where records are, and a parse of the changes agrees with a parse of the whole file.
@Suite struct DataChangesTests {
    let parser = SnapshotParser()
    static let header = "id,name,email,kind,timezone,marketing_opt_in,tags"

    static func row(_ id: String, name: String = "Bea Smith", zone: String = "Europe/Berlin") -> String {
        "\(id),\(name),\(id)@example.com,customer,\(zone),true,newsletter"
    }

    static func csv(_ rows: [String], lineBreak: String = "\n") -> [UInt8] {
        Array(([header] + rows).joined(separator: lineBreak).appending(lineBreak).utf8)
    }

    func indexed(_ bytes: [UInt8], _ name: String = "contacts.csv") throws -> IndexedSnapshot {
        try parser.parseIndexed(bytes, fileName: name)
    }

    func changes(_ old: [UInt8], _ new: [UInt8], _ name: String = "contacts.csv", including: Set<String> = [])
        throws -> DataChanges?
    {
        let before = try indexed(old, name)
        let index = try #require(before.index, "the first file was not indexed")
        return try parser.parseChanges(
            new, fileName: name, since: index, preamble: before.preamble, including: including)
    }

    @Test func theScanFindsTheRecordsTheCSVReaderReads() throws {
        // A quoted field over two lines, an escaped quote, CRLF line ends, a blank line, a BOM.
        let text =
            "\u{FEFF}id,name,email,kind,timezone,marketing_opt_in,tags\r\n"
            + "c1,\"Bea \"\"B\"\" Smith\",c1@example.com,customer,Europe/Berlin,true,\"a\nb\"\r\n" + "\r\n"
            + "c2,Al,c2@example.com,customer,Europe/Berlin,true,x\r\n"
        let bytes = Array(text.utf8)
        let scan = try DataRecords.scan(bytes, format: .csv, fileName: "contacts.csv")
        let read = Array(CSVReader(bytes).dropFirst()).filter { !($0.fields.count == 1 && $0.fields[0].isEmpty) }
        #expect(scan.records.map(\.line) == read.map(\.line))
        #expect(scan.records.map(\.line) == [2, 5])
        let snapshot = try indexed(bytes)
        #expect(snapshot.index?.count == 2)
    }

    @Test func aRecordsDigestFollowsItsBytes() throws {
        let bytes = Self.csv([Self.row("c1"), Self.row("c2"), Self.row("c1")])
        let digests = try DataRecords.scan(bytes, format: .csv, fileName: "contacts.csv").records.map(\.digest)
        #expect(digests[0] == digests[2])
        #expect(digests[0] != digests[1])
        let edited = try DataRecords.scan(
            Self.csv([Self.row("c1", name: "Bea Smyth")]), format: .csv, fileName: "contacts.csv"
        ).records
        #expect(edited[0].digest != digests[0])
    }

    @Test func onlyNewAndEditedRecordsAreParsed() throws {
        let old = Self.csv((1...6).map { Self.row("c\($0)") })
        let new = Self.csv([
            Self.row("c1"), Self.row("c2", name: "Bea Jones"), Self.row("c4"), Self.row("c5"), Self.row("c6"),
            Self.row("c7"),
        ])
        let found = try #require(try changes(old, new))
        #expect(found.contacts.map(\.id) == ["c2", "c7"])
        #expect(found.contacts.first?.name == "Bea Jones")
        #expect(found.removedIDs == ["c3"])
        #expect(found.unchangedRecords == 4)
        // The index of the changes is the index a full parse of the new file makes.
        #expect(found.index == (try indexed(new)).index)
    }

    @Test func contactsAskedForAreParsedThoughUnchanged() throws {
        let old = Self.csv((1...4).map { Self.row("c\($0)") })
        let found = try #require(try changes(old, old, including: ["c3"]))
        #expect(found.contacts.map(\.id) == ["c3"])
        #expect(found.removedIDs.isEmpty)
    }

    @Test func aChangedRecordReportsItsErrorsAsAFullParseDoes() throws {
        let old = Self.csv((1...4).map { Self.row("c\($0)") })
        let new = Self.csv([
            Self.row("c1"), Self.row("c2", zone: "Mars/Olympus"), Self.row("c3"),
            "c4,Al,not-an-address,customer,Europe/Berlin,true,x",
        ])
        var incremental: [DataError] = []
        do { _ = try changes(old, new) } catch let error as DataErrors { incremental = error.errors }
        var full: [DataError] = []
        do { _ = try indexed(new) } catch let error as DataErrors { full = error.errors }
        #expect(incremental.count == 2)
        #expect(incremental.map(\.description) == full.map(\.description))
        #expect(incremental.map(\.line) == [3, 5])
    }

    @Test func anEditedRecordTakingAnUnchangedOnesIDIsADuplicate() throws {
        let old = Self.csv((1...3).map { Self.row("c\($0)") })
        let new = Self.csv([Self.row("c1"), Self.row("c2"), Self.row("c1", name: "Someone Else")])
        var errors: [String] = []
        do { _ = try changes(old, new) } catch let error as DataErrors { errors = error.errors.map(\.description) }
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("contacts.csv:4: id:") == true, "\(errors)")
        #expect(errors.first?.contains("duplicate id 'c1' (first on line 2)") == true, "\(errors)")
    }

    @Test func aFileThatCannotBeComparedRecordByRecordIsParsedWhole() throws {
        let old = Self.csv((1...3).map { Self.row("c\($0)") })
        // Another header: every record means something else.
        let reordered = Array(
            ("id,email,name,kind,timezone,marketing_opt_in,tags\n"
                + "c1,c1@example.com,Bea,customer,Europe/Berlin,true,x\n")
                .utf8)
        #expect(try changes(old, reordered) == nil)
    }

    /// A record repeated, byte for byte, is a new record with a used id: the error a full
    /// parse reports, wherever the record was before.
    @Test(arguments: ["c1", "c3"]) func aRepeatedRecordIsADuplicateAsInAFullParse(repeated: String) throws {
        let old = Self.csv((1...3).map { Self.row("c\($0)") })
        let new = Self.csv([Self.row(repeated), Self.row(repeated), Self.row("c2")])
        var changed: [String] = []
        do {
            _ = try changes(old, new)
        } catch let error as DataErrors {
            changed = error.errors.map(\.description)
        }
        var whole: [String] = []
        do {
            _ = try indexed(new)
        } catch let error as DataErrors {
            whole = error.errors.map(\.description)
        }
        #expect(!changed.isEmpty)
        #expect(changed == whole)
    }

    /// Records are matched to the last plan's in order first, then the rest by digest.
    @Test func recordsAreMatchedInOrderThenByDigest() throws {
        func records(_ digests: [UInt64]) -> [DataRecord] {
            digests.enumerated().map { DataRecord(line: $0.offset + 2, range: 0..<0, digest: $0.element) }
        }
        // 1 edited, 3 moved to the end, 6 new.
        #expect(
            SnapshotParser.match(records([0, 11, 2, 4, 6, 3]), toEntries: [0, 1, 2, 3, 4]) == [0, -1, 2, 4, -1, 3])
        #expect(SnapshotParser.match(records([4, 3, 2, 1, 0]), toEntries: [0, 1, 2, 3, 4]) == [4, 3, 2, 1, 0])
        // Three removed together; then a record out of reach of the one expected.
        #expect(SnapshotParser.match(records([0, 4, 5]), toEntries: [0, 1, 2, 3, 4, 5]) == [0, 4, 5])
        #expect(
            SnapshotParser.match(records([0, 4, 5, 1]), toEntries: [0, 1, 2, 3, 4, 5], lookingAhead: 2)
                == [0, 4, 5, 1])
        #expect(SnapshotParser.match(records([7, 8]), toEntries: [0, 1]) == [-1, -1])
        #expect(SnapshotParser.match(records([]), toEntries: [0, 1]) == [])
        #expect(SnapshotParser.match(records([0, 1]), toEntries: []) == [-1, -1])
        // The same bytes twice: the second is new (a duplicate id, for the parse to report),
        // unless neither is in order, when which one the last plan saw is unknown.
        #expect(SnapshotParser.match(records([2, 2]), toEntries: [0, 1, 2]) == [2, -1])
        #expect(SnapshotParser.match(records([2, 2]), toEntries: [0, 1, 2], lookingAhead: 1) == nil)
    }

    /// A large file is scanned as two halves side by side; wherever the middle falls (inside
    /// quotes too, where the halves are scanned again as one), the records are those of one scan.
    @Test(arguments: [SnapshotParser.Format.csv, .jsonLines])
    func aFileScannedAsTwoHalvesHasTheRecordsOfOneScan(format: SnapshotParser.Format) throws {
        var rows: [String] = []
        for n in 1...40 {
            switch (format, n % 4) {
            case (.csv, 0): rows.append("c\(n),\"Bea\nB\"\"\",c\(n)@example.com,customer,UTC,true,\"a\r\nb\"\r")
            case (.csv, 1): rows.append("")
            case (.csv, _): rows.append(Self.row("c\(n)"))
            case (_, 1): rows.append("  ")
            default: rows.append(#"{"id":"c\#(n)","kind":"customer"}"#)
            }
            let text = (format == .csv ? ["\u{FEFF}" + Self.header] : []) + rows
            let bytes = Array(text.joined(separator: "\n").utf8)
            let name = format == .csv ? "contacts.csv" : "contacts.jsonl"
            let whole = try DataRecords.scan(bytes, format: format, fileName: name, halvingFrom: .max)
            let halved = try DataRecords.scan(bytes, format: format, fileName: name, halvingFrom: 1)
            #expect(halved.records == whole.records, "\(n) rows")
            #expect(halved.header == whole.header && halved.preamble == whole.preamble, "\(n) rows")
        }
    }

    @Test func jsonLinesAreComparedLineByLine() throws {
        func line(_ id: String, _ name: String = "Bea") -> String {
            #"{"id":"\#(id)","name":"\#(name)","kind":"customer","timezone":"Europe/Berlin","email":"\#(id)@example.com"}"#
        }
        let old = Array([line("c1"), line("c2"), line("c3")].joined(separator: "\n").utf8)
        let new = Array([line("c1"), "", line("c3", "Cy"), line("c4")].joined(separator: "\n").utf8)
        let found = try #require(try changes(old, new, "contacts.jsonl"))
        #expect(found.contacts.map(\.id) == ["c3", "c4"])
        #expect(found.removedIDs == ["c2"])
        #expect(found.index == (try indexed(new, "contacts.jsonl")).index)
    }

    /// A JSON array cut short cannot be split into its elements: an error, never "no records"
    /// (which would withdraw every contact's messages).
    @Test func aTruncatedJSONArrayIsAnErrorNotAnEmptyFile() throws {
        func object(_ id: String) -> String {
            #"{"id":"\#(id)","name":"Bea","kind":"customer","timezone":"Europe/Berlin","email":"\#(id)@example.com"}"#
        }
        let whole = "[\n" + ["c1", "c2", "c3"].map(object).joined(separator: ",\n") + "\n]\n"
        let cut = String(whole.prefix(whole.count - 40))
        var errors: [DataError] = []
        do {
            _ = try changes(Array(whole.utf8), Array(cut.utf8), "contacts.json")
        } catch let error as DataErrors {
            errors = error.errors
        }
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.file == "contacts.json")
    }
}
