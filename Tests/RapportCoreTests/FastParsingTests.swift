import Foundation
import RapportCore
import RapportTestSupport
import Testing

/// The data reader's fast paths (ISO 8601 instants, trimming, address checks) read exactly as
/// Foundation and the plain checks do: seeded random instants in every offset form, edge dates,
/// and values Foundation refuses.
@Suite struct FastParsingTests {
    let parser = SnapshotParser()

    /// What the data reader made of a value: the instant it stored, or its complaint.
    enum Reading: Equatable {
        case read(Date?)
        case refused(String)

        var date: Date? {
            if case .read(let date) = self { return date }
            return nil
        }
    }

    /// Each `last_contact_at` value as the data reader stores it, or the error it reports.
    func read(_ values: [String]) -> [String: Reading] {
        let rows = values.enumerated().map { index, value in
            "c\(index),Name \(index),c\(index)@example.com,client,UTC,\(value)"
        }
        let csv = (["id,name,email,kind,timezone,last_contact_at"] + rows).joined(separator: "\n")
        do {
            let snapshot = try parser.parse(Array(csv.utf8), fileName: "contacts.csv")
            return Dictionary(
                uniqueKeysWithValues: values.enumerated().map { index, value in
                    (value, .read(snapshot.contact(id: "c\(index)")?.lastContactAt))
                })
        } catch {
            let failed = Dictionary(grouping: error.errors, by: \.line)
            return Dictionary(
                uniqueKeysWithValues: values.enumerated().map { index, value in
                    (value, failed[index + 2].map { .refused($0[0].problem) } ?? .read(nil))
                })
        }
    }

    /// What Foundation makes of the same text (with fractional seconds or without).
    func foundation(_ text: String) -> Date? {
        (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    @Test func randomInstantsReadAsFoundationReadsThem() throws {
        var generator = SeededGenerator(seed: 20_261_202)
        var values: [String] = []
        for _ in 0..<2_000 {
            let seconds = Double(Int.random(in: -2_000_000_000...4_000_000_000, using: &generator))
            let offsetMinutes = Int.random(in: -14 * 60...14 * 60, using: &generator) / 15 * 15
            let date = Date(timeIntervalSince1970: seconds)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(secondsFromGMT: offsetMinutes * 60)!
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            guard let year = c.year, (1...9999).contains(year) else { continue }
            let base = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d", year, c.month!, c.day!, c.hour!, c.minute!, c.second!)
            let fraction =
                Bool.random(using: &generator)
                ? String(format: ".%03d", Int.random(in: 0...999, using: &generator)) : ""
            let sign = offsetMinutes < 0 ? "-" : "+"
            let (h, m) = (abs(offsetMinutes) / 60, abs(offsetMinutes) % 60)
            let zone: String
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: zone = offsetMinutes == 0 ? "Z" : String(format: "%@%02d:%02d", sign, h, m)
            case 1: zone = String(format: "%@%02d%02d", sign, h, m)
            default: zone = String(format: "%@%02d:%02d", sign, h, m)
            }
            values.append(base + fraction + zone)
        }
        let read = read(values)
        var checked = 0
        for value in values {
            guard let expected = foundation(value) else { continue }
            let got = try #require(read[value]?.date, "\(value) was not read: \(String(describing: read[value]))")
            #expect(abs(got.timeIntervalSince(expected)) < 0.0005, "\(value): \(got) != \(expected)")
            checked += 1
        }
        #expect(checked > 1_500, "only \(checked) values were comparable")
    }

    /// Edge dates, and values the fast path leaves to Foundation — which is lenient with some
    /// (February 29 of a common year becomes March 1, 24:00 the next midnight): whatever
    /// Foundation makes of a value, the reader makes the same, and refuses what it refuses.
    @Test func edgeDatesAndOddValuesReadAsFoundationReadsThem() throws {
        let values = [
            "2024-02-29T23:59:59Z", "2000-02-29T00:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.5Z",
            "2026-03-29T01:30:00+01:00", "2026-11-01T10:00:00-0930", " 2026-11-01T10:00:00Z ",
            "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z",
            "2026-11-01T24:00:00Z", "2026-11-01T10:60:00Z", "2026-11-01T10:00:00", "2026-11-01T10:00:00.Z",
            "2026-11-01T10:00:00+25:00", "2026-11-01 10:00:00Z", "yesterday",
        ]
        var refused = 0
        for value in values {
            let reading = read([value])[value]
            if let expected = foundation(value.trimmingCharacters(in: .whitespaces)) {
                #expect(reading?.date == expected, "\(value): \(String(describing: reading))")
            } else {
                refused += 1
                if case .read = reading { Issue.record("\(value) was accepted; Foundation refuses it") }
            }
        }
        #expect(refused >= 3, "the list should hold values Foundation refuses")
    }

    @Test func addressesAndTrimmingKeepTheirMeaning() throws {
        let rows = [
            ("a1", "  ann@example.com  ", true), ("a2", "no-at.example.com", false), ("a3", "two@@example.com", false),
            ("a4", "@example.com", false), ("a5", "ann@localhost", false), ("a6", "ann@exa mple.com", false),
            ("a7", "ann@example.com,bob@example.com", false), ("a8", "\u{00A0}ann@example.com", true),
        ]
        for (id, email, valid) in rows {
            let csv = "id,name,email,kind,timezone\n\(id),Name,\"\(email)\",client,UTC"
            let snapshot = try? parser.parse(Array(csv.utf8), fileName: "contacts.csv")
            #expect((snapshot != nil) == valid, "\(email)")
            if let contact = snapshot?.contacts.first {
                #expect(contact.email == email.trimmingCharacters(in: .whitespaces))
            }
        }
    }
}
