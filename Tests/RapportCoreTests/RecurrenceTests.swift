import Foundation
import RapportCore
import Testing

@Suite struct RecurrenceTests {
    func instants(_ rule: String, from start: String, zone: String, count: Int) throws -> [String] {
        let parsed = try Recurrence(parsing: rule)
        return parsed.occurrences(from: Fixture.instant(start), in: Fixture.zone(zone)).prefix(count).map {
            $0.formatted(.iso8601)
        }
    }

    @Test func everyMondayOfTheMonthIsEveryMondayNotTheFirst() throws {
        // Foundation's Calendar.RecurrenceRule yields only the first Monday here.
        let mondays = try instants("FREQ=MONTHLY;BYDAY=MO", from: "2027-03-01T15:00:00Z", zone: "UTC", count: 5)
        #expect(
            mondays == [
                "2027-03-01T15:00:00Z", "2027-03-08T15:00:00Z", "2027-03-15T15:00:00Z",
                "2027-03-22T15:00:00Z", "2027-03-29T15:00:00Z",
            ])
    }

    @Test func ordinalsAndSetPositions() throws {
        #expect(
            try instants("FREQ=MONTHLY;BYDAY=-1FR;COUNT=2", from: "2026-10-01T09:00:00Z", zone: "UTC", count: 5)
                == ["2026-10-30T09:00:00Z", "2026-11-27T09:00:00Z"])
        // Last weekday of the month.
        #expect(
            try instants(
                "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", from: "2026-10-01T09:00:00Z", zone: "UTC", count: 2)
                == ["2026-10-30T09:00:00Z", "2026-11-30T09:00:00Z"])
        // WEEKLY with BYSETPOS counts over the whole week (RFC 5545), including days before DTSTART.
        #expect(
            try instants("FREQ=WEEKLY;BYDAY=MO,SA;BYSETPOS=1", from: "2027-07-02T09:00:00Z", zone: "UTC", count: 1)
                == ["2027-07-05T09:00:00Z"])
    }

    @Test func springForwardGapsMoveToTheFirstValidInstantAndRepeatsFireOnce() throws {
        // 02:30 does not exist in New York on 2027-03-14: it fires at 03:00 EDT (07:00Z).
        let spring = try instants(
            "FREQ=DAILY;BYHOUR=2;BYMINUTE=30", from: "2027-03-13T05:00:00Z", zone: "America/New_York", count: 3)
        #expect(spring == ["2027-03-13T07:30:00Z", "2027-03-14T07:00:00Z", "2027-03-15T06:30:00Z"])
        // 01:30 happens twice on 2026-11-01: once, at the first (EDT, 05:30Z).
        let fall = try instants(
            "FREQ=DAILY;BYHOUR=1;BYMINUTE=30", from: "2026-10-31T04:00:00Z", zone: "America/New_York", count: 3)
        #expect(fall == ["2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"])
        // Lord Howe moves 30 minutes: 02:15 on 2026-10-04 is in the gap, fires at 02:30 (+11).
        let howe = try instants(
            "FREQ=DAILY;BYHOUR=2;BYMINUTE=15", from: "2026-10-02T12:00:00Z", zone: "Australia/Lord_Howe", count: 3)
        #expect(howe == ["2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"])
    }

    @Test func badRulesNameThePartAtFault() {
        #expect(throws: RecurrenceError.self) { try Recurrence(parsing: "FREQ=HOURLY") }
        #expect(throws: RecurrenceError.self) { try Recurrence(parsing: "FREQ=WEEKLY;BYDAY=1MO") }
        #expect(throws: RecurrenceError.self) { try Recurrence(parsing: "FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z") }
        do {
            _ = try Recurrence(parsing: "FREQ=MONTHLY;BYMONTHDAY=32")
            Issue.record("accepted BYMONTHDAY=32")
        } catch {
            #expect(error.description.contains("BYMONTHDAY"))
        }
    }

    @Test func shortFormsAndCaps() throws {
        #expect(try Cadence(parsing: "14d") == .days(14))
        #expect(try Cadence(parsing: "2w") == .days(14))
        #expect(try Cadence(parsing: "1mo") == .months(1))
        #expect(throws: RecurrenceError.self) { try Cadence(parsing: "2 fortnights") }
        #expect(FatigueCap(parsing: "2 per 7 days") == FatigueCap(count: 2, days: 7))
        #expect(FatigueCap(parsing: "1 promotion per 30 days") == FatigueCap(count: 1, days: 30, kind: .promotion))
        #expect(FatigueCap(parsing: "lots per week") == nil)
    }

    @Test func icsHolidaysAreAllDayDates() throws {
        let text = """
            BEGIN:VCALENDAR\r
            BEGIN:VEVENT\r
            DTSTART;VALUE=DATE:20261225\r
            DTEND;VALUE=DATE:20261227\r
            SUMMARY:Christmas\r
            END:VEVENT\r
            BEGIN:VEVENT\r
            DTSTART;VALUE=DATE:20270101\r
            END:VEVENT\r
            END:VCALENDAR\r
            """
        let dates = try ICSHolidays.dates(in: text)
        #expect(
            dates == [
                LocalDate(year: 2026, month: 12, day: 25), LocalDate(year: 2026, month: 12, day: 26),
                LocalDate(year: 2027, month: 1, day: 1),
            ])
        #expect(throws: ICSError.self) { try ICSHolidays.dates(in: "BEGIN:VEVENT\nDTSTART:2026\nEND:VEVENT") }
    }
}
