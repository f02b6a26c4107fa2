import Foundation
import RapportCore
import Testing

/// Per-contact preferences: channel, language tag, and a client's check-in day and time.
@Suite struct PreferencesTests {
    static func policy() -> Policy {
        var policy = Policy()
        policy.progress.enabled = false
        policy.staggerMinutes = 0
        policy.campaigns = [
            Campaign(
                name: "sale", starts: LocalDate(year: 2026, month: 12, day: 1),
                ends: LocalDate(year: 2026, month: 12, day: 20))
        ]
        return policy
    }

    func plan(_ contacts: [Contact], at now: String, history: History = History()) -> PlanDiff {
        Planner.plan(
            snapshot: Snapshot(contacts: contacts, source: "t"), history: history, policy: Self.policy(),
            now: Fixture.instant(now))
    }

    @Test func channelNoneMeansNothingForClientsAndCustomers() {
        var client = Fixture.client("c1", lastContact: "2026-01-01T10:00:00Z")
        var customer = Fixture.customer("k1")
        client.preferences.channel = ContactPreferences.ChannelPreference.none
        customer.preferences.channel = ContactPreferences.ChannelPreference.none
        let diff = plan([client, customer], at: "2026-11-30T08:00:00Z")
        #expect(diff.additions.isEmpty, "\(diff.additions.map(\.key))")
        // Without the preference both get something: the test can tell the difference.
        client.preferences.channel = nil
        customer.preferences.channel = nil
        #expect(plan([client, customer], at: "2026-11-30T08:00:00Z").additions.count == 2)
    }

    @Test func thePreferredChannelOverridesTheRules() {
        var client = Fixture.client("c1", lastContact: "2026-01-01T10:00:00Z")
        client.email = nil
        #expect(plan([client], at: "2026-11-30T08:00:00Z").additions.isEmpty, "no address, email rule")
        client.preferences.channel = .webhook
        var customer = Fixture.customer("k1")
        customer.preferences.channel = .webhook
        let diff = plan([client, customer], at: "2026-11-30T08:00:00Z")
        #expect(diff.additions.map(\.channel) == [.webhook, .webhook], "\(diff.additions.map(\.key))")
    }

    /// A client who prefers Thursdays at 14:30 (Tokyo) gets every check-in then, for months,
    /// and a holiday on a Thursday moves that one to the next open day without losing a week.
    @Test func checkinsComeOnThePreferredDayAndTime() {
        var client = Fixture.client("c1", zone: "Asia/Tokyo", tier: "gold", lastContact: "2026-11-02T01:00:00Z")
        client.preferences.checkinDay = .thursday
        client.preferences.checkinTime = LocalTime(hour: 14, minute: 30)
        var policy = Self.policy()
        policy.campaigns = []
        let holiday = LocalDate(year: 2027, month: 1, day: 14)  // a Thursday
        policy.holidays = HolidayCalendar(regions: ["jp": [holiday]], defaultRegion: "jp")
        var simulation = Simulation()
        let start = Fixture.instant("2026-11-02T00:00:00Z")
        simulation.run(
            snapshot: Snapshot(contacts: [client], source: "t"), policy: policy, from: start,
            to: start.addingTimeInterval(120 * 86_400), step: 3 * 3600)
        let zone = Fixture.zone("Asia/Tokyo")
        let sends = simulation.sent.map(\.at).sorted()
        #expect(sends.count >= 15 && sends.count <= 17, "\(sends.count) check-ins in 120 days")
        for sent in sends where LocalDate(sent, in: zone) != holiday.adding(days: 1) {
            #expect(LocalDate(sent, in: zone).weekday == .thursday, "\(sent)")
            #expect(LocalTime(sent, in: zone) == LocalTime(hour: 14, minute: 30), "\(sent)")
        }
        #expect(sends.contains { LocalDate($0, in: zone) == holiday.adding(days: 1) }, "the holiday's check-in")
        #expect(!sends.contains { LocalDate($0, in: zone) == holiday })
        #expect(simulation.sent.allSatisfy { $0.reason.contains("client prefers thursdays at 14:30") })
    }

    /// A stored first check-in keeps its time in later plans: the preference does not chase `now`.
    @Test func aFirstCheckinKeepsItsPreferredTime() {
        var client = Fixture.client("c1", zone: "Europe/London")
        client.preferences.checkinDay = .saturday  // outside the Mon–Fri window
        var outbox = MemoryOutbox()
        let first = plan([client], at: "2026-11-30T08:00:00Z")  // a Monday
        let due = try! #require(first.additions.first?.dueAt)
        #expect(LocalDate(due, in: Fixture.zone("Europe/London")).weekday == .monday, "Saturday is closed: \(due)")
        outbox.apply(first, at: Fixture.instant("2026-11-30T08:00:00Z"))
        for now in ["2026-12-06T12:00:00Z", "2026-12-07T08:59:00Z"] {
            let later = plan([client], at: now, history: outbox.history)
            #expect(later.additions.isEmpty && later.retimings.isEmpty, "re-planned at \(now): \(later.retimings)")
        }
    }

    @Test func languageFallbacksGoFromSpecificToGeneral() {
        #expect(ContactPreferences(language: "pt-br").languageFallbacks == ["pt-br", "pt"])
        #expect(ContactPreferences(language: "zh-hant-tw").languageFallbacks == ["zh-hant-tw", "zh-hant", "zh"])
        #expect(ContactPreferences().languageFallbacks.isEmpty)
        for good in ["fr", "pt-BR", "zh-Hant-TW", "es-419"] {
            #expect(ContactPreferences.isLanguageTag(good), "\(good)")
        }
        for bad in ["", "f", "french-", "pt_BR", "fr-x", "de-ÄÖ"] {
            #expect(!ContactPreferences.isLanguageTag(bad), "\(bad)")
        }
    }

    @Test func preferencesAreReadFromTheDataWithErrorsNamingTheField() throws {
        let header = "id,name,email,kind,timezone,channel,language,checkin_day,checkin_time\n"
        let good = try SnapshotParser().parse(
            Array((header + "c1,Ada,ada@example.com,client,UTC,Webhook,pt-BR,thu,14:30\n").utf8),
            fileName: "contacts.csv")
        let preferences = try #require(good.contacts.first?.preferences)
        #expect(preferences.channel == .webhook)
        #expect(preferences.language == "pt-br")
        #expect(preferences.checkinDay == .thursday)
        #expect(preferences.checkinTime == LocalTime(hour: 14, minute: 30))
        do {
            _ = try SnapshotParser().parse(
                Array((header + "c1,Ada,ada@example.com,client,UTC,fax,pt_BR,someday,25:00\n").utf8),
                fileName: "contacts.csv")
            Issue.record("bad preferences were accepted")
        } catch {
            let text = "\(error)"
            for expected in [
                "contacts.csv:2: channel: 'fax' is not one of email, webhook, none",
                "contacts.csv:2: language: 'pt_BR' is not a language tag",
                "contacts.csv:2: checkin_day: 'someday' is not a day of the week",
                "contacts.csv:2: checkin_time: '25:00' is not a time of day",
            ] {
                #expect(text.contains(expected), "\(expected) in \(text)")
            }
        }
    }

    @Test func aSuppressedAddressGetsNoEmailButWebhooksStillGo() {
        var client = Fixture.client("c1", lastContact: "2026-01-01T10:00:00Z")
        client.email = "Someone@Example.com"
        let suppressed = History(suppressed: [SuppressedAddress.hash("someone@example.com")])
        #expect(plan([client], at: "2026-11-30T08:00:00Z").additions.count == 1)
        #expect(plan([client], at: "2026-11-30T08:00:00Z", history: suppressed).additions.isEmpty)
        client.preferences.channel = .webhook
        #expect(plan([client], at: "2026-11-30T08:00:00Z", history: suppressed).additions.map(\.channel) == [.webhook])
    }
}
