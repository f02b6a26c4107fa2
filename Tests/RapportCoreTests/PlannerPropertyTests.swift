import Foundation
import RapportCore
import Testing

/// Properties over seeded random contacts and policies, simulated for months.
@Suite struct PlannerPropertyTests {
    static let zones = ["America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]

    static func world(seed: UInt64) -> (contacts: [Contact], policy: Policy) {
        var random = RecurrenceCrossCheckTests.Generator(state: seed)
        var policy = Policy()
        policy.caps = [FatigueCap(count: 2, days: 7)]
        policy.quietHours = QuietHours(starts: LocalTime(hour: 12, minute: 0), ends: LocalTime(hour: 13, minute: 0))
        policy.holidays = HolidayCalendar(
            regions: [
                "x": Set(
                    (0..<20).map { _ in LocalDate(year: 2026, month: 11, day: 1).adding(days: random.int(0...150)) })
            ],
            defaultRegion: "x")
        policy.campaigns = (0..<3).map { index in
            let start = LocalDate(year: 2026, month: 11, day: 10).adding(days: random.int(0...90))
            return Campaign(name: "c\(index)", starts: start, ends: start.adding(days: random.int(3...30)))
        }
        var contacts: [Contact] = []
        for index in 0..<12 {
            let zone = random.pick(zones)
            if random.chance(0.6) {
                let projects = (0..<random.int(0...2)).map {
                    Project(id: "p\($0)", name: "P\($0)", status: .active, progress: 10)
                }
                contacts.append(
                    Fixture.client(
                        "c\(index)", zone: zone, tier: random.pick(["gold", "silver", "standard"]),
                        lastContact: random.chance(0.5) ? "2026-10-2\(random.int(0...9))T10:00:00Z" : nil,
                        projects: projects))
            } else {
                contacts.append(Fixture.customer("k\(index)", zone: zone))
            }
        }
        return (contacts, policy)
    }

    /// `contacts` planned, applied and sent every `step` for `days` from `start`.
    static func simulated(
        _ contacts: [Contact], _ policy: Policy, from start: Date, days: Int, step: TimeInterval
    ) -> Simulation {
        var simulation = Simulation()
        simulation.run(
            snapshot: Snapshot(contacts: contacts, source: "t"), policy: policy, from: start,
            to: start.addingTimeInterval(Double(days) * 86_400), step: step)
        return simulation
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func capsQuietHoursAndHolidaysHoldOverMonths(seed: UInt64) {
        let (contacts, policy) = Self.world(seed: seed)
        let simulation = Self.simulated(
            contacts, policy, from: Fixture.instant("2026-11-01T00:00:00Z"), days: 120, step: 4 * 3600)
        #expect(simulation.sent.count > 50)
        let byContact = Dictionary(grouping: simulation.sent, by: \.key.contactID)
        for contact in contacts {
            let zone = contact.timeZone
            let days = (byContact[contact.id] ?? []).map { LocalDate($0.at, in: zone) }.sorted()
            for day in days {
                let inWeek = days.filter { day.days(until: $0) >= 0 && day.days(until: $0) < 7 }.count
                #expect(inWeek <= 2, "\(contact.id) gets \(inWeek) messages in the 7 days from \(day)")
            }
            let promotions = (byContact[contact.id] ?? []).filter { $0.key.rule.kind == .promotion }.map(\.at).sorted()
            for (a, b) in zip(promotions, promotions.dropFirst()) {
                #expect(LocalDate(a, in: zone).days(until: LocalDate(b, in: zone)) >= 30)
            }
            for sent in byContact[contact.id] ?? [] {
                #expect(
                    !(policy.quietHours?.contains(LocalTime(sent.at, in: zone)) ?? false), "\(sent.key) in quiet hours")
                #expect(
                    !policy.holidays.dates(region: nil).contains(LocalDate(sent.at, in: zone)),
                    "\(sent.key) on a holiday")
            }
        }
    }

    /// A plan handed over in pieces (so a large one is never held whole) is the plan made
    /// whole: the same changes in the same order, whole contacts to a piece, and the
    /// withdrawals for contacts gone from the data in the last one.
    @Test(arguments: [UInt64(7), 8, 9])
    func aPlanInPiecesIsThePlanWhole(seed: UInt64) {
        let (contacts, policy) = Self.world(seed: seed)
        let start = Fixture.instant("2026-11-01T06:00:00Z")
        let simulation = Self.simulated(contacts, policy, from: start, days: 10, step: 6 * 3600)
        let snapshot = Snapshot(contacts: Array(contacts.dropLast(4)), source: "t")
        // Eleven days on: some open messages are stale, some contacts are gone.
        let now = start.addingTimeInterval(21 * 86_400)
        let whole = Planner.plan(
            snapshot: snapshot, history: simulation.history, policy: policy, now: now, explain: true)
        var joined = PlanDiff()
        var pieces: [PlanDiff] = []
        var plannedSoFar: [Int] = []
        Planner.plan(
            snapshot: snapshot, history: simulation.history, policy: policy, now: now, explain: true, inPiecesOf: 3
        ) { piece, planned in
            pieces.append(piece)
            plannedSoFar.append(planned)
            joined.append(piece)
        }
        #expect(pieces.count > 2)
        #expect(!whole.unchanged.isEmpty && !whole.cancellations.isEmpty)
        #expect(joined.additions == whole.additions)
        #expect(joined.unchanged == whole.unchanged)
        #expect(joined.retimings == whole.retimings)
        #expect(joined.cancellations == whole.cancellations)
        #expect(joined.skips == whole.skips)
        #expect(joined.exclusions == whole.exclusions)
        #expect(plannedSoFar == plannedSoFar.sorted() && plannedSoFar.last == snapshot.contacts.count)
        for piece in pieces.dropLast() {
            #expect(piece.additions.count + piece.unchanged.count >= 3)
        }
        let owners = pieces.map { Set(($0.additions + $0.unchanged).map(\.key.contactID)) }
        for (index, owner) in owners.enumerated() {
            for later in owners[(index + 1)...] { #expect(owner.isDisjoint(with: later)) }
        }
    }

    /// Contacts handed over in batches, in id order (a file read piece by piece), are planned
    /// as the snapshot of them is: the same changes in the same order, and the withdrawals
    /// for contacts gone from the data (from the middle of the id order as well as its end),
    /// found by merging the two id orders, in the last piece.
    @Test(arguments: [UInt64(7), 10])
    func contactsPlannedInBatchesArePlannedAsTheSnapshot(seed: UInt64) throws {
        let (contacts, policy) = Self.world(seed: seed)
        let start = Fixture.instant("2026-11-01T06:00:00Z")
        let simulation = Self.simulated(contacts, policy, from: start, days: 10, step: 6 * 3600)
        let kept = contacts.enumerated().filter { $0.offset % 5 != 2 }.map(\.element)
        let snapshot = Snapshot(contacts: kept, source: "t")
        let now = start.addingTimeInterval(21 * 86_400)
        let whole = Planner.plan(snapshot: snapshot, history: simulation.history, policy: policy, now: now)
        try #require(whole.cancellations.contains { $0.reason == "contact removed from the data" })
        for batchSize in [1, 3, 1_000] {
            var batches = stride(from: 0, to: snapshot.contacts.count, by: batchSize).map {
                Array(snapshot.contacts[$0..<min($0 + batchSize, snapshot.contacts.count)])
            }
            batches.insert([], at: 1)
            var joined = PlanDiff()
            var last = 0
            let next = { batches.isEmpty ? nil : batches.removeFirst() }
            let consume = { (piece: PlanDiff, planned: Int) in
                joined.append(piece)
                last = planned
            }
            try Planner.plan(
                inIDOrder: next, history: simulation.history, policy: policy, now: now, inPiecesOf: 4, consume: consume)
            #expect(joined.additions == whole.additions)
            #expect(joined.unchanged == whole.unchanged)
            #expect(joined.retimings == whole.retimings)
            #expect(joined.cancellations == whole.cancellations)
            #expect(joined.skips == whole.skips)
            #expect(last == snapshot.contacts.count)
        }
    }

    @Test(arguments: [UInt64(4), 5, 6])
    func replanningIsANoOpAndContactOrderDoesNotMatter(seed: UInt64) {
        let (contacts, policy) = Self.world(seed: seed)
        var simulation = Simulation()
        var now = Fixture.instant("2026-11-01T06:00:00Z")
        for _ in 0..<30 {
            let snapshot = Snapshot(contacts: contacts, source: "t")
            let diff = Planner.plan(snapshot: snapshot, history: simulation.history, policy: policy, now: now)
            var random = RecurrenceCrossCheckTests.Generator(state: seed &+ UInt64(now.timeIntervalSince1970))
            let shuffled = contacts.sorted { _, _ in random.chance(0.5) }
            let other = Planner.plan(
                snapshot: Snapshot(contacts: shuffled, source: "t"), history: simulation.history, policy: policy,
                now: now)
            #expect(
                Set(other.additions.map { "\($0.id)@\($0.dueAt)" })
                    == Set(diff.additions.map { "\($0.id)@\($0.dueAt)" }))
            #expect(Set(other.retimings) == Set(diff.retimings))
            simulation.apply(diff, at: now)
            let again = Planner.plan(snapshot: snapshot, history: simulation.history, policy: policy, now: now)
            #expect(
                again.isEmpty,
                "re-planning changed \(again.additions.count + again.retimings.count + again.cancellations.count + again.skips.count) rows"
            )
            simulation.sendDue(now: now)
            now = now.addingTimeInterval(3 * 86_400 + 3600)
        }
    }
}
