import Foundation
import RapportCore
import Testing

/// Cadences, windows, holidays, caps, lifecycle and lateness over simulated time.
@Suite struct PlannerDepthTests {
    static func policy() -> Policy {
        var policy = Policy()
        policy.progress.enabled = false
        return policy
    }

    func run(_ contacts: [Contact], _ policy: Policy, from: String, days: Int, stepHours: Int = 3) -> Simulation {
        var simulation = Simulation()
        let start = Fixture.instant(from)
        simulation.run(
            snapshot: Snapshot(contacts: contacts, source: "t"), policy: policy, from: start,
            to: start.addingTimeInterval(Double(days) * 86_400), step: Double(stepHours) * 3600)
        return simulation
    }

    @Test(arguments: ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"])
    func weeklyReportsKeepTheirWallClockTimeForTwoYears(zoneName: String) {
        var policy = Self.policy()
        policy.checkin.enabled = false
        policy.progress.enabled = true
        policy.progress.schedule = try? Recurrence(parsing: "FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=30")
        let project = Project(id: "p", name: "Audit", status: .active, progress: 10)
        let client = Fixture.client("c1", zone: zoneName, projects: [project])
        let simulation = run([client], policy, from: "2026-01-01T00:00:00Z", days: 730, stepHours: 6)
        let zone = Fixture.zone(zoneName)
        let stagger = LocalTime(hour: 9, minute: 30)
        let sends = simulation.sent.map(\.at).sorted()
        #expect(sends.count >= 100 && sends.count <= 105, "\(sends.count) reports in two years")
        let times = Set(sends.map { LocalTime($0, in: zone) })
        #expect(times.count == 1, "reports at \(times) local")
        #expect(times.first.map { $0 >= stagger && $0 < LocalTime(hour: 10, minute: 30) } == true)
        for (a, b) in zip(sends, sends.dropFirst()) {
            #expect(LocalDate(a, in: zone).days(until: LocalDate(b, in: zone)) == 7)
        }
    }

    @Test func staggeringSpreadsContactsDeterministically() {
        var policy = Self.policy()
        policy.staggerMinutes = 120
        let contacts = (0..<40).map { Fixture.client("c\($0)", tier: "gold", lastContact: "2026-11-16T10:00:00Z") }
        let diff = Planner.plan(
            snapshot: Snapshot(contacts: contacts, source: "t"), history: History(), policy: policy,
            now: Fixture.instant("2026-11-18T08:00:00Z"))
        let times = diff.additions.map { LocalTime($0.dueAt, in: Fixture.zone("Europe/London")) }
        #expect(Set(times).count > 20)
        #expect(times.allSatisfy { $0 >= LocalTime(hour: 10, minute: 0) && $0 < LocalTime(hour: 12, minute: 0) })
        let again = Planner.plan(
            snapshot: Snapshot(contacts: contacts, source: "t"), history: History(), policy: policy,
            now: Fixture.instant("2026-11-18T08:00:00Z"))
        #expect(again.additions.map(\.dueAt) == diff.additions.map(\.dueAt))
    }

    @Test func holidaysAndQuietHoursMoveMessagesToTheNextOpenSlot() throws {
        var policy = Self.policy()
        policy.staggerMinutes = 0
        policy.holidays = HolidayCalendar(
            regions: ["gb": [LocalDate(year: 2026, month: 12, day: 25), LocalDate(year: 2026, month: 12, day: 28)]],
            defaultRegion: "gb")
        policy.checkin.sendAt = LocalTime(hour: 9, minute: 0)
        policy.quietHours = QuietHours(starts: LocalTime(hour: 17, minute: 0), ends: LocalTime(hour: 9, minute: 30))
        // Met on the 18th, gold: the 25th is Christmas, the 26th–27th a weekend, the 28th a holiday.
        let client = Fixture.client("c1", tier: "gold", lastContact: "2026-12-18T12:00:00Z")
        let diff = Planner.plan(
            snapshot: Snapshot(contacts: [client], source: "t"), history: History(), policy: policy,
            now: Fixture.instant("2026-12-20T12:00:00Z"))
        // Tuesday the 29th, 09:30 (the end of the quiet hours), not 09:00.
        #expect(try #require(diff.additions.first).dueAt == Fixture.instant("2026-12-29T09:30:00Z"))
    }

    @Test func aTouchpointRecordedByHandRestartsTheCadence() throws {
        var policy = Self.policy()
        policy.staggerMinutes = 0
        let client = Fixture.client("c1", tier: "gold", lastContact: "2026-11-16T10:00:00Z")
        var simulation = Simulation()
        let first = Planner.plan(
            snapshot: Snapshot(contacts: [client], source: "t"), history: simulation.history, policy: policy,
            now: Fixture.instant("2026-11-18T09:00:00Z"))
        simulation.apply(first, at: Fixture.instant("2026-11-18T09:00:00Z"))
        #expect(first.additions.first?.dueAt == Fixture.instant("2026-11-23T10:00:00Z"))
        simulation.touchpoints["c1"] = Fixture.instant("2026-11-20T16:00:00Z")  // rapport touch c1
        let second = Planner.plan(
            snapshot: Snapshot(contacts: [client], source: "t"), history: simulation.history, policy: policy,
            now: Fixture.instant("2026-11-21T09:00:00Z"))
        #expect(second.cancellations.map(\.id) == [try #require(first.additions.first).id])
        #expect(second.additions.first?.dueAt == Fixture.instant("2026-11-27T10:00:00Z"))
    }

    @Test func perContactCadencesAndRRULECheckinsRestartFromTheTouchpoint() throws {
        var policy = Self.policy()
        policy.staggerMinutes = 0
        policy.horizonDays = 60
        var monthly = Fixture.client("c1", tier: "gold", lastContact: "2026-11-16T10:00:00Z")
        monthly.checkinEvery = try Cadence(parsing: "1mo")
        var firstMonday = Fixture.client("c2", tier: "gold", lastContact: "2026-11-30T10:00:00Z")
        firstMonday.checkinEvery = try Cadence(parsing: "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=11")
        let diff = Planner.plan(
            snapshot: Snapshot(contacts: [monthly, firstMonday], source: "t"), history: History(), policy: policy,
            now: Fixture.instant("2026-11-30T12:00:00Z"))
        let due = Dictionary(uniqueKeysWithValues: diff.additions.map { ($0.key.contactID, $0.dueAt) })
        #expect(due["c1"] == Fixture.instant("2026-12-16T10:00:00Z"))
        // Met on Monday 30 November: not the first Monday of December, two weeks on, but the
        // first one at least half a month on: 4 January, 11:00 London.
        #expect(due["c2"] == Fixture.instant("2027-01-04T11:00:00Z"))
    }

    @Test func staleMessagesAfterDowntimeAreSkippedAndPlannedAgain() throws {
        var policy = Self.policy()
        policy.staggerMinutes = 0
        let client = Fixture.client("c1", tier: "gold", lastContact: "2026-11-16T10:00:00Z")
        var simulation = Simulation()
        let snapshot = Snapshot(contacts: [client], source: "t")
        let first = Planner.plan(
            snapshot: snapshot, history: simulation.history, policy: policy,
            now: Fixture.instant("2026-11-18T09:00:00Z"))
        simulation.apply(first, at: Fixture.instant("2026-11-18T09:00:00Z"))
        // The daemon was down from the 18th to the 30th: the check-in due on the 23rd is stale.
        let now = Fixture.instant("2026-11-30T08:00:00Z")
        let second = Planner.plan(snapshot: snapshot, history: simulation.history, policy: policy, now: now)
        #expect(second.skips.count == 1)
        #expect(second.skips.first?.reason.hasPrefix("stale") == true)
        let replanned = try #require(second.additions.first)
        #expect(replanned.key.occurrence.hasSuffix("~2"))
        #expect(replanned.dueAt == Fixture.instant("2026-11-30T10:00:00Z"))
        simulation.apply(second, at: now)
        #expect(Planner.plan(snapshot: snapshot, history: simulation.history, policy: policy, now: now).isEmpty)
        // Within the lateness bound a late message is left to be sent.
        let late = Planner.plan(
            snapshot: snapshot, history: simulation.history, policy: policy,
            now: Fixture.instant("2026-11-30T20:00:00Z"))
        #expect(late.skips.isEmpty)
    }

    @Test func lifecycleChangesTouchOnlyTheAffectedMessages() throws {
        var policy = Self.policy()
        policy.progress.enabled = true
        let project = Project(id: "p", name: "P", status: .active, progress: 1)
        let a = Fixture.client("a", tier: "gold", lastContact: "2026-11-16T10:00:00Z", projects: [project])
        let b = Fixture.client("b", tier: "silver", lastContact: "2026-11-16T10:00:00Z", projects: [project])
        var simulation = Simulation()
        let now = Fixture.instant("2026-11-18T09:00:00Z")
        simulation.apply(
            Planner.plan(
                snapshot: Snapshot(contacts: [a, b], source: "t"), history: simulation.history, policy: policy, now: now
            ),
            at: now)
        var paused = a
        paused.status = .paused
        let diff = Planner.plan(
            snapshot: Snapshot(contacts: [paused, b], source: "t"), history: simulation.history, policy: policy,
            now: now)
        #expect(!diff.cancellations.isEmpty)
        #expect(diff.cancellations.allSatisfy { $0.reason == "client is paused" })
        let cancelled = Set(diff.cancellations.map(\.id))
        #expect(simulation.entries.values.filter { $0.key.contactID == "b" }.allSatisfy { !cancelled.contains($0.id) })
        #expect(diff.additions.isEmpty && diff.retimings.isEmpty)
        var unsubscribed = b
        unsubscribed.status = .unsubscribed
        let gone = Planner.plan(
            snapshot: Snapshot(contacts: [a, unsubscribed], source: "t"), history: simulation.history, policy: policy,
            now: now)
        #expect(gone.cancellations.allSatisfy { $0.reason == "contact unsubscribed" })
        #expect(gone.cancellations.count == simulation.entries.values.filter { $0.key.contactID == "b" }.count)
    }

    @Test func campaignsRespectSegmentsAndTheirSendRate() throws {
        var policy = Self.policy()
        var campaign = Campaign(
            name: "sale", starts: LocalDate(year: 2026, month: 12, day: 1),
            ends: LocalDate(year: 2026, month: 12, day: 20))
        campaign.segment.purchasedOnOrAfter = LocalDate(year: 2026, month: 6, day: 1)
        campaign.maxPerHour = 5
        policy.campaigns = [campaign]
        var customers = (0..<30).map { index -> Contact in
            var customer = Fixture.customer(String(format: "k%02d", index))
            customer.lastPurchaseAt = Fixture.instant("2026-09-01T12:00:00Z")
            return customer
        }
        customers[0].lastPurchaseAt = Fixture.instant("2026-01-01T12:00:00Z")
        customers[1].marketingOptIn = false
        customers[2].email = nil
        let snapshot = Snapshot(contacts: customers, source: "t")
        let now = Fixture.instant("2026-11-25T12:00:00Z")
        let diff = Planner.plan(snapshot: snapshot, history: History(), policy: policy, now: now, explain: true)
        #expect(diff.additions.count == 27)
        var perHour: [Int: Int] = [:]
        for message in diff.additions { perHour[Int(message.dueAt.timeIntervalSince1970 / 3600), default: 0] += 1 }
        #expect(perHour.values.allSatisfy { $0 <= 5 })
        let reasons = Dictionary(grouping: diff.exclusions, by: \.contactID).mapValues { $0.map(\.reason) }
        #expect(reasons["k00"]?.first?.hasPrefix("not in segment") == true)
        #expect(reasons["k01"] == ["no marketing opt-in"])
        #expect(reasons["k02"] == ["no email address"])
        var simulation = Simulation()
        simulation.apply(diff, at: now)
        #expect(Planner.plan(snapshot: snapshot, history: simulation.history, policy: policy, now: now).isEmpty)
    }

    /// A plan of a few changed contacts shares each campaign's hourly rate with everyone
    /// else's messages, and plans what a full plan of everyone would for them.
    @Test func aPlanOfChangedContactsSharesTheCampaignRateWithTheOthers() throws {
        var policy = Self.policy()
        var campaign = Campaign(
            name: "sale", starts: LocalDate(year: 2026, month: 12, day: 1),
            ends: LocalDate(year: 2026, month: 12, day: 20))
        campaign.maxPerHour = 4
        policy.campaigns = [campaign]
        let now = Fixture.instant("2026-11-25T12:00:00Z")
        let everyone = (0..<20).map { Fixture.customer(String(format: "k%02d", $0)) }
        var simulation = Simulation()
        simulation.apply(
            Planner.plan(
                snapshot: Snapshot(contacts: everyone, source: "t"), history: History(), policy: policy, now: now),
            at: now)
        // Two more customers, planned on their own with the others' load counted.
        let newcomers = ["k05a", "k99"].map { Fixture.customer($0) }
        let ownHistory = History()
        let others = Planner.campaignLoad(of: simulation.history, policy: policy)
        #expect(others["sale"]?.values.reduce(0, +) == 20)
        let changed = Planner.plan(
            changed: newcomers, history: ownHistory, policy: policy, now: now, otherLoad: others)
        #expect(changed.additions.count == 2)
        var perHour: [Int: Int] = [:]
        for entries in simulation.history.byContact.values {
            for entry in entries { perHour[Int(entry.dueAt.timeIntervalSince1970 / 3600), default: 0] += 1 }
        }
        for message in changed.additions { perHour[Int(message.dueAt.timeIntervalSince1970 / 3600), default: 0] += 1 }
        #expect(perHour.values.allSatisfy { $0 <= 4 }, "\(perHour)")
        // A full plan of everyone with the newcomers gives them the same messages.
        let full = Planner.plan(
            snapshot: Snapshot(contacts: everyone + newcomers, source: "t"), history: simulation.history,
            policy: policy, now: now)
        #expect(full.additions.map(\.id).sorted() == changed.additions.map(\.id).sorted())
        #expect(full.additions.map(\.dueAt).sorted() == changed.additions.map(\.dueAt).sorted())
        // Without the others' load the newcomers would be placed in full hours.
        let blind = Planner.plan(changed: newcomers, history: ownHistory, policy: policy, now: now, otherLoad: [:])
        #expect(blind.additions.map(\.dueAt) != changed.additions.map(\.dueAt))
    }
}
