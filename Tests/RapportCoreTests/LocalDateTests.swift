import Foundation
import RapportCore
import Testing

@Suite struct LocalDateTests {
    /// Dates and times are written with their own digit writer (`String(format:)` was 3% of a
    /// full plan); it writes what `%04d-%02d-%02d` and `%02d:%02d` write.
    @Test func writesDatesAndTimesAsPrintfWould() {
        for (year, month, day) in [(2026, 12, 1), (5, 1, 9), (999, 10, 31), (10_000, 2, 29), (0, 0, 0), (-7, 3, 4)] {
            let date = LocalDate(year: year, month: month, day: day)
            #expect(date.description == String(format: "%04d-%02d-%02d", year, month, day))
        }
        // A time holds a byte a field (every contact may carry one): no negative hours.
        for hour in [0, 7, 9, 10, 23, 100] {
            for minute in [0, 5, 30, 59] {
                #expect(LocalTime(hour: hour, minute: minute).description == String(format: "%02d:%02d", hour, minute))
            }
        }
    }

    @Test func parsesOnlyRealDates() {
        #expect(LocalDate(parsing: "2026-02-28") == LocalDate(year: 2026, month: 2, day: 28))
        #expect(LocalDate(parsing: "2026-02-29") == nil)
        #expect(LocalDate(parsing: "2028-02-29") != nil)
        #expect(LocalDate(parsing: "2026-13-01") == nil)
        #expect(LocalDate(parsing: "26-01-01") == nil)
    }

    @Test func dayArithmeticAndWeekdays() {
        let date = LocalDate(year: 2026, month: 11, day: 23)
        #expect(date.weekday == .monday)
        #expect(date.adding(days: 6).weekday == .sunday)
        #expect(date.adding(days: 39) == LocalDate(year: 2027, month: 1, day: 1))
        #expect(LocalDate(year: 2027, month: 1, day: 1).adding(days: -39) == date)
        #expect(date.days(until: LocalDate(year: 2026, month: 12, day: 25)) == 32)
    }

    @Test func wallClockInZones() {
        let instant = Fixture.instant("2026-07-01T23:30:00Z")
        #expect(LocalDate(instant, in: Fixture.zone("Europe/London")) == LocalDate(year: 2026, month: 7, day: 2))
        #expect(LocalDate(instant, in: Fixture.zone("America/New_York")) == LocalDate(year: 2026, month: 7, day: 1))
        // Lord Howe is UTC+10:30 in the southern winter.
        #expect(LocalTime(instant, in: Fixture.zone("Australia/Lord_Howe")) == LocalTime(hour: 10, minute: 0))
        let ten = LocalDate(year: 2026, month: 3, day: 9).at(
            LocalTime(hour: 10, minute: 0), in: Fixture.zone("America/New_York"))
        #expect(ten == Fixture.instant("2026-03-09T14:00:00Z"))  // after the spring change: UTC-4
        let before = LocalDate(year: 2026, month: 3, day: 6).at(
            LocalTime(hour: 10, minute: 0), in: Fixture.zone("America/New_York"))
        #expect(before == Fixture.instant("2026-03-06T15:00:00Z"))  // before it: UTC-5
    }

    @Test func firstSlotSkipsWeekendsAndHonoursHours() {
        let window = SendingWindow.businessHours
        let london = Fixture.zone("Europe/London")
        let ten = LocalTime(hour: 10, minute: 0)
        // Saturday 12:00 → Monday 10:00.
        #expect(
            window.firstSlot(onOrAfter: Fixture.instant("2026-11-28T12:00:00Z"), preferred: ten, in: london)
                == Fixture.instant("2026-11-30T10:00:00Z"))
        // Tuesday 14:20:30, inside hours but after 10:00 → at once, rounded up to the minute.
        #expect(
            window.firstSlot(onOrAfter: Fixture.instant("2026-11-24T14:20:30Z"), preferred: ten, in: london)
                == Fixture.instant("2026-11-24T14:21:00Z"))
        // Friday 18:00, after hours → Monday 10:00.
        #expect(
            window.firstSlot(onOrAfter: Fixture.instant("2026-11-27T18:00:00Z"), preferred: ten, in: london)
                == Fixture.instant("2026-11-30T10:00:00Z"))
    }
}
