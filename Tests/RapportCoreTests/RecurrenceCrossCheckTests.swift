import Foundation
import RapportCore
import RapportTestSupport
import Testing

/// Rapport's RRULE expansion against python-dateutil's `rrulestr` (Tests/Peers/rrule_peer.py),
/// over generated rules × zones with clock changes.
@Suite struct RecurrenceCrossCheckTests {
    static let zones = [
        "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Auckland",
        "America/Sao_Paulo",
    ]

    /// A seeded generator with the draws these tests use, so a failure names a reproducible rule.
    struct Generator {
        private var base: SeededGenerator
        init(state: UInt64) { base = SeededGenerator(seed: state) }
        mutating func next() -> UInt64 { base.next() }
        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.count))
        }
        mutating func chance(_ p: Double) -> Bool { Double(next() % 10_000) / 10_000 < p }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }
    }

    struct Case: Codable {
        var rule: String
        var dtstart: String
        var zone: String
        var limit: Int
        var end: String
    }

    static func generate(_ count: Int, seed: UInt64) -> [Case] {
        var random = Generator(state: seed)
        let days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
        var cases: [Case] = []
        for _ in 0..<count {
            let frequency = random.pick(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"])
            var parts = ["FREQ=\(frequency)"]
            if random.chance(0.5) { parts.append("INTERVAL=\(random.int(1...4))") }
            if random.chance(0.5) {
                if frequency == "MONTHLY" || frequency == "YEARLY", random.chance(0.5) {
                    let ordinals = Set(
                        (0..<random.int(1...2)).map { _ in
                            "\(random.pick([1, 2, 3, 4, -1, -2]))\(random.pick(days))"
                        })
                    parts.append("BYDAY=" + ordinals.sorted().joined(separator: ","))
                } else {
                    let plain = Set((0..<random.int(1...3)).map { _ in random.pick(days) })
                    parts.append("BYDAY=" + plain.sorted().joined(separator: ","))
                }
            }
            if frequency != "WEEKLY", random.chance(0.3) {
                let monthDays = (0..<random.int(1...2)).map { _ in
                    String(random.pick([1, 2, 15, 28, 29, 30, 31, -1, -2]))
                }
                parts.append("BYMONTHDAY=" + monthDays.joined(separator: ","))
            }
            if random.chance(0.3) {
                parts.append(
                    "BYMONTH=" + (0..<random.int(1...3)).map { _ in String(random.int(1...12)) }.joined(separator: ","))
            }
            if random.chance(0.4) {
                // Hours around the clock changes: 0–3 local.
                parts.append(
                    "BYHOUR="
                        + (0..<random.int(1...2)).map { _ in String(random.pick([0, 1, 2, 3, 9, 12, 23])) }.joined(
                            separator: ","))
            }
            if random.chance(0.3) {
                parts.append(
                    "BYMINUTE="
                        + (0..<random.int(1...2)).map { _ in String(random.pick([0, 15, 30, 45])) }.joined(
                            separator: ","))
            }
            // dateutil applies BYSETPOS to a first WEEKLY period cut at DTSTART (RFC 5545 uses
            // the whole week), so that one combination is left to the unit tests.
            if frequency != "WEEKLY", parts.contains(where: { $0.hasPrefix("BY") }), random.chance(0.25) {
                parts.append("BYSETPOS=" + random.pick(["1", "-1", "2", "1,-1"]))
            }
            if random.chance(0.2) {
                parts.append("COUNT=\(random.int(1...10))")
            } else if random.chance(0.2) {
                parts.append(
                    String(
                        format: "UNTIL=%04d%02d%02dT120000Z", random.int(2026...2029), random.int(1...12),
                        random.int(1...28)))
            }
            if random.chance(0.3) { parts.append("WKST=" + random.pick(days)) }
            let start = String(
                format: "%04d-%02d-%02dT%02d:%02d:00", random.int(2025...2027), random.int(1...12), random.int(1...28),
                random.pick([0, 1, 2, 3, 8, 9, 17, 23]), random.pick([0, 30]))
            cases.append(
                Case(
                    rule: parts.joined(separator: ";"), dtstart: start, zone: random.pick(zones), limit: 25,
                    end: "2031-01-01T00:00:00Z"))
        }
        return cases
    }

    /// Rapport's answer for one case, in the peer's format.
    static func expand(_ item: Case) throws -> [String] {
        let zone = TimeZone(identifier: item.zone)!
        let day = LocalDate(parsing: String(item.dtstart.prefix(10)))!
        let hour = Int(item.dtstart.dropFirst(11).prefix(2))!
        let minute = Int(item.dtstart.dropFirst(14).prefix(2))!
        let start = ZoneClock(zone).instant(day, hour: hour, minute: minute)
        let end = try Date(item.end, strategy: .iso8601)
        let rule = try Recurrence(parsing: item.rule)
        return rule.occurrences(from: start, in: zone, latest: end).prefix(item.limit).map {
            $0.formatted(.iso8601)
        }
    }

    static func peer(_ cases: [Case]) throws -> [[String]] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Peers/rrule_peer.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let encoder = JSONEncoder()
        var lines = Data()
        for item in cases {
            lines.append(try encoder.encode(item))
            lines.append(0x0A)
        }
        // Write from another thread: the peer's output could fill its pipe first.
        let writer = input.fileHandleForWriting
        let payload = lines
        let thread = Thread {
            writer.write(payload)
            try? writer.close()
        }
        thread.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode([String].self, from: Data($0.utf8))
        }
    }

    @Test func expansionAgreesWithDateutilOverGeneratedRulesAndZones() throws {
        let cases = Self.generate(600, seed: 20_261_123)
        let expected = try Self.peer(cases)
        #expect(expected.count == cases.count, "the dateutil peer answered \(expected.count) of \(cases.count)")
        var mismatches: [String] = []
        var occurrences = 0
        for (item, reference) in zip(cases, expected) {
            let ours = try Self.expand(item)
            occurrences += ours.count
            if ours != reference {
                mismatches.append(
                    "\(item.rule) from \(item.dtstart) in \(item.zone): \(ours.prefix(4)) vs \(reference.prefix(4))")
            }
        }
        let summary = mismatches.prefix(5).joined(separator: "\n")
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ:\n\(summary)")
        print("dateutil cross-check: \(cases.count) rules, \(occurrences) occurrences, \(mismatches.count) mismatches")
        #expect(occurrences > 5_000)  // the comparison is not vacuous
        #expect(Set(cases.map(\.zone)).count == Self.zones.count)
    }
}
