import Foundation
import RapportCore
import Testing

@Suite final class PlannerTests {
    var policy: Policy = {
        var policy = Policy()
        policy.progress.enabled = false
        policy.staggerMinutes = 0  // exact times; staggering has its own tests
        return policy
    }()

    func plan(_ contacts: [Contact], _ outbox: MemoryOutbox = MemoryOutbox(), at now: String) -> PlanDiff {
        Planner.plan(
            snapshot: Snapshot(contacts: contacts, source: "test"), history: outbox.history, policy: policy,
            now: Fixture.instant(now))
    }

    @Test func checkinFollowsTierCadenceAtBusinessTimeInTheClientsZone() throws {
        // Last met Wednesday 2026-11-18; gold = 7 days → Wednesday 2026-11-25 10:00 New York time.
        let client = Fixture.client("c1", zone: "America/New_York", tier: "gold", lastContact: "2026-11-18T20:00:00Z")
        let diff = plan([client], at: "2026-11-23T12:00:00Z")
        let message = try #require(diff.additions.first)
        #expect(diff.additions.count == 1)
        #expect(message.rule == .checkin)
        #expect(message.dueAt == Fixture.instant("2026-11-25T15:00:00Z"))
        #expect(message.state == .scheduled)
        #expect(message.reason.contains("every 7 days"))

        // Silver: 14 days → 2026-12-02; standard and unknown tiers: 30 → 2026-12-18 (a Friday).
        let silver = plan(
            [Fixture.client("c2", zone: "America/New_York", tier: "silver", lastContact: "2026-11-18T20:00:00Z")],
            at: "2026-11-23T12:00:00Z")
        #expect(silver.additions.first?.dueAt == Fixture.instant("2026-12-02T15:00:00Z"))
        let unknown = plan(
            [Fixture.client("c3", zone: "America/New_York", tier: "bronze", lastContact: "2026-11-18T20:00:00Z")],
            at: "2026-11-23T12:00:00Z")
        #expect(unknown.additions.first?.dueAt == Fixture.instant("2026-12-18T15:00:00Z"))
    }

    @Test func aCheckinFallingOnAWeekendMovesToMonday() {
        // 2026-11-14 (Saturday) + 7 = Saturday 2026-11-21 → Monday 2026-11-23 10:00 London.
        let client = Fixture.client("c1", tier: "gold", lastContact: "2026-11-14T12:00:00Z")
        let diff = plan([client], at: "2026-11-20T08:00:00Z")
        #expect(diff.additions.first?.dueAt == Fixture.instant("2026-11-23T10:00:00Z"))
    }

    @Test func planningTwiceSchedulesNothingTwice() {
        var outbox = MemoryOutbox()
        policy.progress.enabled = true
        let contacts = [
            Fixture.client(
                "c1", lastContact: "2026-11-10T10:00:00Z",
                projects: [Project(id: "p", name: "P", status: .active, progress: 5)]),
            Fixture.client("c2", zone: "Asia/Tokyo"),
            Fixture.customer("k1", tags: ["news"]),
        ]
        policy.campaigns = [
            Campaign(
                name: "sale", starts: LocalDate(year: 2026, month: 11, day: 24),
                ends: LocalDate(year: 2026, month: 12, day: 5))
        ]
        let first = plan(contacts, outbox, at: "2026-11-23T12:00:00Z")
        #expect(first.additions.count >= 6)  // 1+1 check-ins, 5 weekly reports in 30 days, 1 promotion
        outbox.apply(first, at: Fixture.instant("2026-11-23T12:00:00Z"))
        let second = plan(contacts, outbox, at: "2026-11-23T12:00:00Z")
        #expect(second.isEmpty)
        // Later the same day, nothing is due yet: still nothing to change.
        let later = plan(contacts, outbox, at: "2026-11-23T15:00:00Z")
        #expect(later.isEmpty)
        // And the order of contacts in the file does not matter.
        let reversed = Planner.plan(
            snapshot: Snapshot(contacts: contacts.reversed(), source: "t"), history: MemoryOutbox().history,
            policy: policy,
            now: Fixture.instant("2026-11-23T12:00:00Z"))
        #expect(reversed.additions.map(\.key) == first.additions.map(\.key))
        #expect(Set(first.additions.map(\.id)).count == first.additions.count)
    }

    @Test func cadenceHoldsOverSixMonthsAcrossDST() throws {
        // A gold client in New York: one check-in every 7 days, always at 10:00 New York time on a
        // weekday, through the November and March clock changes.
        var outbox = MemoryOutbox()
        let client = Fixture.client("c1", zone: "America/New_York", tier: "gold", lastContact: "2026-10-01T14:00:00Z")
        outbox.simulate(
            snapshot: Snapshot(contacts: [client], source: "t"), policy: policy,
            from: Fixture.instant("2026-10-01T00:00:00Z"),
            days: 182, stepHours: 3)
        let sends = outbox.sentLog.filter { $0.key.rule == .checkin }.map(\.at).sorted()
        #expect(sends.count >= 25 && sends.count <= 27)
        let zone = Fixture.zone("America/New_York")
        for send in sends {
            #expect(LocalTime(send, in: zone) == LocalTime(hour: 10, minute: 0))
            #expect(![Weekday.saturday, .sunday].contains(LocalDate(send, in: zone).weekday))
        }
        for (earlier, later) in zip(sends, sends.dropFirst()) {
            let days = LocalDate(earlier, in: zone).days(until: LocalDate(later, in: zone))
            #expect(days == 7, "check-ins \(earlier) and \(later) are \(days) days apart")
        }
        // Never more than one check-in waiting at a time.
        #expect(outbox.entries.values.filter { $0.key.rule == .checkin && $0.state.isOpen }.count <= 1)
    }

    @Test func aNewTouchpointRestartsTheCadence() throws {
        var outbox = MemoryOutbox()
        let before = Fixture.client("c1", tier: "gold", lastContact: "2026-11-16T10:00:00Z")
        let first = plan([before], outbox, at: "2026-11-18T09:00:00Z")
        outbox.apply(first, at: Fixture.instant("2026-11-18T09:00:00Z"))
        let old = try #require(first.additions.first)
        #expect(old.dueAt == Fixture.instant("2026-11-23T10:00:00Z"))
        // The account manager meets the client on the 19th.
        let after = Fixture.client("c1", tier: "gold", lastContact: "2026-11-19T15:00:00Z")
        let second = plan([after], outbox, at: "2026-11-20T09:00:00Z")
        #expect(second.cancellations.map(\.id) == [old.id])
        #expect(second.cancellations.first?.reason.contains("touchpoint") == true)
        #expect(second.additions.first?.dueAt == Fixture.instant("2026-11-26T10:00:00Z"))
    }

    @Test func promotionsNeedOptInAndAreCappedAtOnePer30Days() throws {
        policy.campaigns = [
            Campaign(
                name: "autumn", starts: LocalDate(year: 2026, month: 11, day: 24),
                ends: LocalDate(year: 2026, month: 11, day: 30)),
            Campaign(
                name: "winter", starts: LocalDate(year: 2026, month: 12, day: 8),
                ends: LocalDate(year: 2026, month: 12, day: 20)),
            Campaign(
                name: "spring", starts: LocalDate(year: 2027, month: 1, day: 5),
                ends: LocalDate(year: 2027, month: 1, day: 20)),
        ]
        policy.horizonDays = 60
        let optedIn = Fixture.customer("k1")
        let optedOut = Fixture.customer("k2", optIn: false)
        let diff = plan([optedIn, optedOut], at: "2026-11-23T12:00:00Z")
        #expect(diff.additions.allSatisfy { $0.key.contactID == "k1" })
        let byCampaign = Dictionary(uniqueKeysWithValues: diff.additions.map { ($0.rule.subject!, $0) })
        #expect(byCampaign["autumn"]?.state == .pendingApproval)  // promotions need approval by default
        #expect(byCampaign["autumn"]?.dueAt == Fixture.instant("2026-11-24T10:00:00Z"))  // 11:00 Berlin
        #expect(byCampaign["winter"]?.state == .skipped)
        #expect(byCampaign["winter"]?.reason.contains("frequency cap") == true)
        #expect(byCampaign["spring"]?.state == .pendingApproval)  // 42 days after autumn

        // Over a simulated quarter, no two promotions to one customer less than 30 days apart.
        var outbox = MemoryOutbox()
        outbox.simulate(
            snapshot: Snapshot(contacts: [optedIn, optedOut], source: "t"), policy: policy,
            from: Fixture.instant("2026-11-20T00:00:00Z"), days: 90, stepHours: 6)
        let sends = outbox.sentLog.filter { $0.key.rule.kind == .promotion }.map(\.at).sorted()
        #expect(sends.count == 2)
        for (a, b) in zip(sends, sends.dropFirst()) { #expect(b.timeIntervalSince(a) >= 30 * 86_400) }
        #expect(!outbox.sentLog.contains { $0.key.contactID == "k2" })
    }

    @Test func campaignSegmentsByTag() {
        var campaign = Campaign(
            name: "vip", starts: LocalDate(year: 2026, month: 11, day: 24),
            ends: LocalDate(year: 2026, month: 11, day: 30))
        campaign.tags = ["vip"]
        policy.campaigns = [campaign]
        let diff = plan(
            [Fixture.customer("k1", tags: ["vip"]), Fixture.customer("k2", tags: ["news"])], at: "2026-11-23T12:00:00Z")
        #expect(diff.additions.map(\.key.contactID) == ["k1"])
    }

    @Test func aCustomerWhoBecomesAClientIsReplannedAtOnce() throws {
        policy.campaigns = [
            Campaign(
                name: "sale", starts: LocalDate(year: 2026, month: 11, day: 30),
                ends: LocalDate(year: 2026, month: 12, day: 10))
        ]
        var outbox = MemoryOutbox()
        let asCustomer = Fixture.customer("p1", zone: "Europe/London")
        let first = plan([asCustomer], outbox, at: "2026-11-23T12:00:00Z")
        outbox.apply(first, at: Fixture.instant("2026-11-23T12:00:00Z"))
        let promotion = try #require(first.additions.first)
        var asClient = Fixture.client("p1", tier: "gold")
        asClient.marketingOptIn = true
        let second = plan([asClient], outbox, at: "2026-11-23T13:00:00Z")
        #expect(second.cancellations == [Cancellation(id: promotion.id, reason: "contact is now a client")])
        #expect(second.additions.map(\.rule) == [.checkin])
        outbox.apply(second, at: Fixture.instant("2026-11-23T13:00:00Z"))
        // And back: the pending check-in is cancelled, the promotion is not planned again (its
        // occurrence was cancelled once and stays so).
        let third = plan([asCustomer], outbox, at: "2026-11-23T14:00:00Z")
        #expect(third.cancellations.map(\.reason) == ["contact is now a customer"])
    }

    @Test func progressReportsFollowProjectsAndStopWhenTheyComplete() throws {
        policy.progress.enabled = true
        policy.checkin.enabled = false
        var outbox = MemoryOutbox()
        let project = Project(id: "p", name: "Audit", status: .active, progress: 30)
        let active = Fixture.client("c1", zone: "Australia/Lord_Howe", projects: [project])
        let first = plan([active], outbox, at: "2026-11-23T12:00:00Z")
        let zone = Fixture.zone("Australia/Lord_Howe")
        #expect(first.additions.count == 4 || first.additions.count == 5)
        for report in first.additions {
            #expect(LocalDate(report.dueAt, in: zone).weekday == .monday)
            #expect(LocalTime(report.dueAt, in: zone) == LocalTime(hour: 9, minute: 30))
            #expect(report.project?.id == "p")
        }
        outbox.apply(first, at: Fixture.instant("2026-11-23T12:00:00Z"))
        var done = active
        done.projects[0].status = .completed
        let second = plan([done], outbox, at: "2026-11-24T12:00:00Z")
        #expect(second.cancellations.count == first.additions.count)
        #expect(second.cancellations.allSatisfy { $0.reason == "project p is completed" })
    }

    @Test func aContactRemovedFromTheDataLosesItsPendingMessages() {
        var outbox = MemoryOutbox()
        let first = plan([Fixture.client("c1"), Fixture.client("c2")], outbox, at: "2026-11-23T12:00:00Z")
        outbox.apply(first, at: Fixture.instant("2026-11-23T12:00:00Z"))
        let second = plan([Fixture.client("c2")], outbox, at: "2026-11-23T13:00:00Z")
        #expect(second.cancellations.map(\.reason) == ["contact removed from the data"])
        #expect(second.additions.isEmpty)
    }

    @Test func aChangedTimeZoneRetimesWithoutReplanning() throws {
        var outbox = MemoryOutbox()
        let first = plan(
            [Fixture.client("c1", zone: "Europe/London", lastContact: "2026-11-18T12:00:00Z")], outbox,
            at: "2026-11-23T08:00:00Z")
        outbox.apply(first, at: Fixture.instant("2026-11-23T08:00:00Z"))
        let moved = plan(
            [Fixture.client("c1", zone: "Asia/Kolkata", lastContact: "2026-11-18T12:00:00Z")], outbox,
            at: "2026-11-23T08:30:00Z")
        #expect(moved.additions.isEmpty)
        #expect(moved.cancellations.isEmpty)
        #expect(moved.retimings.first?.dueAt == Fixture.instant("2026-11-25T04:30:00Z"))  // 10:00 IST
    }

    @Test func aDueTimeSetByAnOperatorIsKeptWhileTheScheduleWouldMoveIt() throws {
        var outbox = MemoryOutbox()
        let client = Fixture.client("c1", zone: "Europe/London", lastContact: "2026-11-18T12:00:00Z")
        let first = plan([client], outbox, at: "2026-11-23T08:00:00Z")
        outbox.apply(first, at: Fixture.instant("2026-11-23T08:00:00Z"))
        // Moved to now (`send-now`): by an operator it stays; by anyone else the schedule wins.
        let moved = try #require(outbox.entries.values.first { $0.state == .scheduled })
        for byOperator in [true, false] {
            var entry = moved
            entry.dueAt = Fixture.instant("2026-11-23T09:00:00Z")
            entry.dueSetByOperator = byOperator
            let others = outbox.entries.values.filter { $0.id != moved.id }
            let again = Planner.plan(
                snapshot: Snapshot(contacts: [client], source: "test"), history: History(others + [entry]),
                policy: policy, now: Fixture.instant("2026-11-23T08:30:00Z"))
            #expect(again.additions.isEmpty && again.cancellations.isEmpty)
            #expect(again.retimings.map(\.dueAt) == (byOperator ? [] : [moved.dueAt]))
        }
    }

    @Test func keysAreDeterministic() {
        let key = MessageKey(contactID: "c1", rule: .progress(project: "p"), occurrence: "2026-11-30")
        #expect(key.description == "c1|progress:p|2026-11-30")
        #expect(key.id.count == 16)
        #expect(key.id == MessageKey(contactID: "c1", rule: .progress(project: "p"), occurrence: "2026-11-30").id)
        #expect(key.id != MessageKey(contactID: "c1", rule: .progress(project: "p"), occurrence: "2026-12-07").id)
        #expect(RuleID(parsing: "campaign:winter sale") == .campaign("winter sale"))
        // Ids are stored and sent (Message-ID, webhook-id): the first 16 hex digits of the
        // key's SHA-256 (`printf '%s' 'c-0000002|campaign:winter-sale|once' | sha256sum`), the
        // same whether read from the key or from a history entry, which holds it as a number.
        let pinned = [
            (
                MessageKey(contactID: "c-0000002", rule: .campaign("winter-sale"), occurrence: "once"),
                "3b13522ac3dfb927"
            ),
            (
                MessageKey(contactID: "c-0000026", rule: .progress(project: "p-26-1"), occurrence: "2026-12-07"),
                "02f191a23a086f81"
            ),
        ]
        for (key, id) in pinned {
            #expect(key.id == id)
            #expect(HistoryEntry(key: key, state: .scheduled, dueAt: Date(timeIntervalSince1970: 0)).id == id)
        }
        #expect(MessageKey.id(of: 0) == "0000000000000000")
        #expect(MessageKey.id(of: .max) == "ffffffffffffffff")
        for number: UInt64 in [1, 0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210, 0x8000_0000_0000_0000] {
            #expect(MessageKey.idNumber(of: MessageKey.id(of: number)) == number)
        }
        // The id is worked out with the key, and again when a part of it changes.
        var edited = pinned[0].0
        edited.contactID = "c-0000026"
        edited.rule = .progress(project: "p-26-1")
        #expect(edited.id != pinned[0].1)
        edited.occurrence = "2026-12-07"
        #expect(edited.id == pinned[1].1)
        #expect(edited == pinned[1].0)
    }

    @Test func retryBackoffGrowsAndIsCapped() {
        let retry = RetryPolicy(maxAttempts: 5, baseDelay: .seconds(60), maxDelay: .seconds(3600))
        #expect(retry.delay(afterAttempt: 1, jitter: 1) == .seconds(60))
        #expect(retry.delay(afterAttempt: 3, jitter: 1) == .seconds(240))
        #expect(retry.delay(afterAttempt: 10, jitter: 1) == .seconds(3600))
        #expect(retry.delay(afterAttempt: 1, jitter: 1.2) == .seconds(72))
        #expect(retry.allowsRetry(afterAttempts: 4))
        #expect(!retry.allowsRetry(afterAttempts: 5))
    }
}
