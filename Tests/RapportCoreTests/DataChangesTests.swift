import Foundation
import RapportCore
import Testing

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
        // The same bytes twice: a duplicate the index alone cannot place.
        #expect(try changes(old, Self.csv([Self.row("c1"), Self.row("c1"), Self.row("c2")])) == nil)
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
