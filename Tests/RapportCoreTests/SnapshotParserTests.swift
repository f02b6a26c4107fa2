import Foundation
import RapportCore
import Testing

@Suite struct SnapshotParserTests {
    let parser = SnapshotParser()

    func parse(_ text: String, _ name: String) throws(DataErrors) -> Snapshot {
        try parser.parse(Array(text.utf8), fileName: name)
    }

    func errors(_ text: String, _ name: String) -> [String] {
        do {
            _ = try parse(text, name)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    /// Contacts are sorted by id whatever their order in the file (positions sorted, then
    /// applied in place along their cycles), and each is found by its id.
    @Test func aSnapshotHoldsItsContactsInIDOrder() {
        var random = RecurrenceCrossCheckTests.Generator(state: 11)
        for count in [0, 1, 2, 7, 200] {
            let ids = (0..<count).map { String(format: "c-%04d", $0) }
            for _ in 0..<5 {
                var shuffled = ids
                for index in shuffled.indices.reversed() where index > 0 {
                    shuffled.swapAt(index, random.int(0...index))
                }
                let snapshot = Snapshot(
                    contacts: shuffled.map { Fixture.customer($0, tags: ["t-\($0)"]) }, source: "t")
                #expect(snapshot.contacts.map(\.id) == ids)
                #expect(snapshot.contacts.map(\.tags) == ids.map { ["t-\($0)"] })
                for id in ids { #expect(snapshot.contact(id: id)?.id == id) }
            }
        }
    }

    @Test func readsAJSONArrayWithEveryField() throws {
        let snapshot = try parse(
            """
            [
              {"id": "c2", "name": "Bea", "kind": "customer", "timezone": "Europe/Berlin", "marketing_opt_in": true,
               "tags": ["a", "b"], "email": "bea@example.com"},
              {"id": "c1", "name": "Al Smith", "email": "al@example.com", "kind": "client", "timezone": "America/New_York",
               "tier": "gold", "account_manager": {"name": "Mo", "email": "mo@firm.example"},
               "last_contact_at": "2026-11-01T10:00:00Z",
               "projects": [{"id": "p1", "name": "Plan", "status": "active", "progress": 40,
                             "next_milestone": "Draft", "due_date": "2026-12-15"}]}
            ]
            """, "contacts.json")
        #expect(snapshot.contacts.map(\.id) == ["c1", "c2"])  // sorted, whatever the file order
        let al = try #require(snapshot.contact(id: "c1"))
        #expect(al.kind == .client)
        #expect(al.firstName == "Al")
        #expect(al.timeZone.identifier == "America/New_York")
        #expect(al.accountManager == AccountManager(name: "Mo", email: "mo@firm.example"))
        #expect(al.lastContactAt == Fixture.instant("2026-11-01T10:00:00Z"))
        #expect(al.projects.first?.progress == 40)
        #expect(snapshot.contact(id: "c2")?.marketingOptIn == true)
        #expect(snapshot.contact(id: "c2")?.tags == ["a", "b"])
    }

    @Test func readsJSONLinesAndCSV() throws {
        let lines = try parse(
            """
            {"id": "a", "name": "A", "kind": "client", "timezone": "UTC"}

            {"id": "b", "name": "B", "kind": "customer", "timezone": "UTC"}
            """, "x.jsonl")
        #expect(lines.contacts.count == 2)
        // A byte order mark before the first line, as some exports write.
        let marked = try parse(
            "\u{FEFF}" + #"{"id": "a", "name": "A", "kind": "client", "timezone": "UTC"}"#, "x.jsonl")
        #expect(marked.contacts.map(\.id) == ["a"])
        let csv = try parse(
            """
            id,name,email,kind,timezone,marketing_opt_in,tags,projects
            a,"Smith, Ann",ann@example.com,customer,Europe/Paris,yes,x;y,
            b,Bob,,client,UTC,,,"[{""id"":""p"",""name"":""P"",""progress"":10}]"
            """, "x.csv")
        #expect(csv.contact(id: "a")?.name == "Smith, Ann")
        #expect(csv.contact(id: "a")?.marketingOptIn == true)
        #expect(csv.contact(id: "a")?.tags == ["x", "y"])
        #expect(csv.contact(id: "b")?.projects.first?.id == "p")
        #expect(csv.contact(id: "b")?.email == nil)
    }

    @Test func reportsEachProblemWithFileLineAndField() {
        let found = errors(
            """
            id,name,kind,timezone,email
            a,Ann,client,Mars/Olympus,ann@example.com
            b,Bob,partner,UTC,bob@example.com
            c,Cy,client,UTC,not-an-address
            a,Ann again,client,UTC,
            """, "crm.csv")
        #expect(
            found == [
                "crm.csv:2: timezone: unknown time zone 'Mars/Olympus'",
                "crm.csv:3: kind: 'partner' is not client or customer",
                "crm.csv:4: email: 'not-an-address' is not an email address",
            ])
    }

    /// An address needs one `@` with a dot after it and no spaces (ASCII or not), angle
    /// brackets or commas; letters beyond ASCII are fine.
    @Test func emailAddressesArePlausibleOrReported() {
        let bad = [
            "a b@example.com", "a\tb@example.com", "a\u{00A0}b@example.com", "a\u{2003}@example.com",
            "<a@example.com>", "a,b@example.com", "a@b@example.com", "@example.com", "a@example",
        ]
        for address in bad {
            let found = errors("id,kind,timezone,email\na,client,UTC,\"\(address)\"\n", "x.csv")
            #expect(found == ["x.csv:2: email: '\(address)' is not an email address"], "\(address)")
        }
        for address in ["a@b.c", "ünïcode@exämple.de", "a+tag@example.co.uk", "o'brien@example.com"] {
            #expect(errors("id,kind,timezone,email\na,client,UTC,\(address)\n", "x.csv").isEmpty, "\(address)")
        }
    }

    /// Every repeat of an id is reported at its own line, naming the first, in a file in id
    /// order and in one that is not.
    @Test func reportsEachRepeatedIDWithTheLineItFirstAppearedOn() {
        let cases: [(ids: [String], expected: [(line: Int, id: String, first: Int)])] = [
            (["c2", "c1", "c2", "c3", "c2", "c1"], [(4, "c2", 2), (6, "c2", 2), (7, "c1", 3)]),
            (["a", "a", "b", "c", "c", "c"], [(3, "a", 2), (6, "c", 5), (7, "c", 5)]),
        ]
        for (ids, expected) in cases {
            let text = "id,name,kind,timezone\n" + ids.map { "\($0),N,customer,UTC\n" }.joined()
            #expect(
                errors(text, "crm.csv")
                    == expected.map { "crm.csv:\($0.line): id: duplicate id '\($0.id)' (first on line \($0.first))" })
        }
    }

    @Test func reportsMalformedCSVRowsAndJSONRecordsByLine() {
        #expect(errors("id,name\na,\"unterminated\n", "bad.csv") == ["bad.csv:2: quoted field is never closed"])
        #expect(errors("id,name,kind\na,A\n", "short.csv") == ["short.csv:2: row has 2 fields, the header has 3"])
        #expect(
            errors("[\n {\"id\": \"a\", \"kind\": \"client\", \"timezone\": \"UTC\"},\n {\"id\": }\n]", "bad.json")
                == ["bad.json:3: not valid JSON"])
        #expect(
            errors("{\"id\": \"a\", \"kind\": \"client\", \"timezone\": \"UTC\"}\n{\"id\": \"b\"}", "x.jsonl")
                == [
                    "x.jsonl:2: kind: required (client or customer)",
                    "x.jsonl:2: timezone: required (an IANA name such as Europe/London)",
                ])
        #expect(errors("[]", "x.yaml") == ["x.yaml:1: unknown data format; use .json, .jsonl or .csv"])
    }

    @Test func rejectsDuplicateIdsAndBadProjects() {
        let found = errors(
            """
            [{"id": "a", "kind": "client", "timezone": "UTC", "projects": [{"id": "p", "progress": 140}]},
             {"id": "a", "kind": "client", "timezone": "UTC", "projects": [{"id": "q", "status": "someday"}]}]
            """, "c.json")
        #expect(found.contains("c.json:1: projects[0].progress: must be a number from 0 to 100"))
        #expect(
            found.contains("c.json:2: projects[0].status: 'someday' is not one of active, paused, completed, cancelled")
        )
    }

    @Test func refusesLineBreaksThatCouldBecomeHeaders() {
        let found = errors(
            #"[{"id": "a", "name": "Eve\r\nBcc: x@evil.example", "kind": "client", "timezone": "UTC"}]"#, "c.json")
        #expect(found == ["c.json:1: name: must not contain line breaks"])
    }
}
