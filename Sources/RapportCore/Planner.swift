import Foundation

/// Decides who should hear from the business, and when.
///
/// `plan(snapshot:history:policy:now:explain:)` is a pure function: no I/O, no clock of its
/// own. Given the same inputs it returns the same diff, and applying a diff then planning
/// again with the same data yields an empty one.
public enum Planner {
    /// Plans every contact in `snapshot` against what the outbox already holds.
    ///
    /// - Parameter explain: also list, in ``PlanDiff/exclusions``, every customer a campaign
    ///   leaves out and why (for previews; costs memory on large data).
    public static func plan(
        snapshot: Snapshot, history: History, policy: Policy, now: Date, explain: Bool = false
    ) -> PlanDiff {
        var whole = PlanDiff()
        plan(snapshot: snapshot, history: history, policy: policy, now: now, explain: explain, inPiecesOf: .max) {
            piece, _ in whole = piece
        }
        return whole
    }

    /// Plans every contact in `snapshot` as ``plan(snapshot:history:policy:now:explain:)``
    /// does, handing the diff to `consume` in pieces instead of returning it whole, so that a
    /// plan of a million contacts never holds every planned message (and every contact's
    /// shared copy) at once.
    ///
    /// A piece is handed over once it holds `size` or more messages (new and still wanted)
    /// and always holds whole contacts; the last one holds the rest, with the withdrawals for
    /// contacts gone from the data. Together the pieces are the diff `plan` returns.
    ///
    /// - Parameter consume: told each piece and how many contacts are planned so far.
    public static func plan(
        snapshot: Snapshot, history: History, policy: Policy, now: Date, explain: Bool = false,
        inPiecesOf size: Int, consume: (PlanDiff, _ contactsPlanned: Int) throws -> Void
    ) rethrows {
        var handed = false
        try plan(
            inIDOrder: {
                defer { handed = true }
                return handed ? nil : snapshot.contacts
            }, history: history, policy: policy, now: now, explain: explain, otherLoad: [:], pieceSize: size,
            consume: consume)
    }

    /// Plans every contact of the data as ``plan(snapshot:history:policy:now:explain:inPiecesOf:consume:)``
    /// does, the contacts handed over a batch at a time by `next` (`nil`: no more), in id
    /// order across batches: a file read piece by piece is planned without ever being held
    /// whole. The contacts of `history` that no batch holds are withdrawn as removed from the
    /// data, so every batch must have been handed over: a `next` that throws ends the plan
    /// before any withdrawal.
    public static func plan(
        inIDOrder next: () throws -> [Contact]?, history: History, policy: Policy, now: Date,
        inPiecesOf size: Int, consume: (PlanDiff, _ contactsPlanned: Int) throws -> Void
    ) throws {
        try plan(
            inIDOrder: next, history: history, policy: policy, now: now, explain: false, otherLoad: [:],
            pieceSize: size, consume: consume)
    }

    /// Plans only `contacts` (sorted by id): an incremental plan, of the contacts whose record
    /// or outbox changed since the last one. `history` holds their entries and those of
    /// contacts removed from the data, whose open messages are withdrawn.
    ///
    /// - Parameter otherLoad: the messages per UTC hour of each rate-limited campaign that
    ///   belong to contacts not in `history`, so that a campaign's rate is shared with them.
    public static func plan(
        changed contacts: [Contact], history: History, policy: Policy, now: Date,
        otherLoad: [String: [Int: Int]]
    ) -> PlanDiff {
        var inOrder = contacts
        if let order = Snapshot.idOrder(of: inOrder) { Snapshot.arrange(&inOrder, in: order) }
        var sorted: [Contact]? = inOrder
        var whole = PlanDiff()
        plan(
            inIDOrder: {
                defer { sorted = nil }
                return sorted
            }, history: history, policy: policy, now: now, explain: false, otherLoad: otherLoad, pieceSize: .max,
            consume: { piece, _ in whole = piece })
        return whole
    }

    /// Messages per UTC hour of each rate-limited campaign in `history`, as planning counts them.
    public static func campaignLoad(of history: History, policy: Policy) -> [String: [Int: Int]] {
        var load: [String: [Int: Int]] = [:]
        SharedPlanningState.count(history, policy: policy, into: &load)
        return load
    }

    /// The plan of the contacts `next` hands over, in id order, in pieces of `pieceSize`
    /// messages. The contacts of `history` it never hands over are removed from the data: a
    /// merge of the two id orders, so the contacts need not be held to be looked up.
    private static func plan(
        inIDOrder next: () throws -> [Contact]?, history: History, policy: Policy, now: Date,
        explain: Bool, otherLoad: [String: [Int: Int]], pieceSize: Int,
        consume: (PlanDiff, Int) throws -> Void
    ) rethrows {
        var diff = PlanDiff()
        var shared = SharedPlanningState(policy: policy, history: history, now: now, otherLoad: otherLoad)
        let known = history.byContact.keys.sorted()
        var unseen = 0
        var removed: [Cancellation] = []
        /// Withdraws the open messages of the contacts in `history` before `id` (all that are
        /// left when `nil`): no contact of the data has their ids.
        func withdrawRemoved(before id: String?) {
            while unseen < known.count, id.map({ known[unseen] < $0 }) ?? true {
                for entry in history.entries(for: known[unseen]) where entry.state.isOpen {
                    removed.append(Cancellation(id: entry.id, reason: "contact removed from the data"))
                }
                unseen += 1
            }
            if let id, unseen < known.count, known[unseen] == id { unseen += 1 }
        }
        var planned = 0
        while let batch = try next() {
            for contact in batch {
                if diff.additions.count + diff.unchanged.count >= pieceSize {
                    try consume(diff, planned)
                    diff = PlanDiff()
                }
                withdrawRemoved(before: contact.id)
                var planner = ContactPlanner(
                    contact: contact, campaigns: shared.campaigns, entries: history.entries(for: contact.id),
                    touchpoint: history.touchpoints[contact.id], optedOut: history.optedOut.contains(contact.id),
                    suppressed: !history.suppressed.isEmpty
                        && contact.email.map { history.suppressed.contains(SuppressedAddress.hash($0)) } == true,
                    policy: policy, now: now, explain: explain)
                planner.plan(into: &diff, shared: &shared)
                planned += 1
            }
        }
        // Contacts that disappeared from the data: withdraw whatever was still to be sent.
        withdrawRemoved(before: nil)
        diff.cancellations += removed
        try consume(diff, planned)
    }
}

/// What planning one contact shares with the others: campaign send-rate budgets, and caches
/// that keep a million contacts cheap.
struct SharedPlanningState {
    /// Messages per campaign per UTC hour (hours since 1970).
    var campaignLoad: [String: [Int: Int]] = [:]
    var clocks: [String: ZoneClock] = [:]
    /// Each campaign once, for every promotion planned for it to share.
    let campaigns: [String: Shared<Campaign>]

    init(policy: Policy, history: History, now: Date, otherLoad: [String: [Int: Int]] = [:]) {
        campaigns = Dictionary(policy.campaigns.map { ($0.name, Shared($0)) }, uniquingKeysWith: { first, _ in first })
        campaignLoad = otherLoad
        Self.count(history, policy: policy, into: &campaignLoad)
    }

    /// Adds the messages of rate-limited campaigns in `history` (open, sending or sent) to
    /// `load`, by UTC hour.
    static func count(_ history: History, policy: Policy, into load: inout [String: [Int: Int]]) {
        let limited = Set(policy.campaigns.filter { $0.maxPerHour != nil }.map(\.name))
        guard !limited.isEmpty else { return }
        for entries in history.byContact.values {
            for entry in entries where entry.key.rule.kind == .promotion {
                guard let name = entry.key.rule.subject, limited.contains(name) else { continue }
                guard entry.state.isOpen || entry.state == .sent || entry.state == .sending else { continue }
                load[name, default: [:]][Self.hour(entry.sentAt ?? entry.dueAt), default: 0] += 1
            }
        }
    }

    static func hour(_ date: Date) -> Int { Int((date.timeIntervalSince1970 / 3600).rounded(.down)) }

    mutating func clock(for zone: TimeZone) -> ZoneClock {
        if let clock = clocks[zone.identifier] { return clock }
        let clock = ZoneClock(zone)
        clocks[zone.identifier] = clock
        return clock
    }
}

/// One occurrence a rule wants, before it is placed in time.
struct Proposal {
    var key: MessageKey
    /// When the rule would send it, before windows and caps; `nil`: as soon as possible.
    var ideal: Date?
    var window: SendingWindow
    var sendAt: LocalTime
    var channel: Channel
    var template: String
    var requiresApproval: Bool
    var reason: String
    var project: Project?
    var campaign: Campaign?

    var priority: Int {
        switch key.rule.kind {
        case .progress: 0
        case .checkin: 1
        case .promotion: 2
        }
    }
}

/// Plans one contact. Kept separate so the rules read top to bottom.
struct ContactPlanner {
    let contact: Contact
    /// The contact, once, for every message planned for it to share.
    let sharedContact: Shared<Contact>
    let campaigns: [String: Shared<Campaign>]
    let entries: [HistoryEntry]
    let touchpoint: Date?
    /// A local opt-out from promotions (it wins over the data's opt-in).
    let optedOut: Bool
    /// The contact's email address is on the suppression list.
    let suppressed: Bool
    let policy: Policy
    let now: Date
    let explain: Bool
    private var existing: [MessageKey: HistoryEntry]
    private var wanted: Set<MessageKey> = []
    /// Open entries skipped as stale in this plan.
    private var staleNow: Set<String> = []
    /// Why each rule no longer applies to this contact, for rules that once did.
    private var inapplicable: [RuleKind: String] = [:]
    private var invalidSeries: [RuleID: String] = [:]
    private var proposals: [Proposal] = []
    private var slots: SlotFinder!

    init(
        contact: Contact, campaigns: [String: Shared<Campaign>] = [:], entries: [HistoryEntry], touchpoint: Date?,
        optedOut: Bool = false, suppressed: Bool = false, policy: Policy, now: Date, explain: Bool
    ) {
        sharedContact = Shared(contact)
        self.campaigns = campaigns
        self.optedOut = optedOut
        self.suppressed = suppressed
        self.contact = contact
        self.entries = entries
        self.touchpoint = touchpoint
        self.policy = policy
        self.now = now
        self.explain = explain
        self.existing = Dictionary(entries.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private var horizonEnd: Date { now.addingTimeInterval(Double(policy.horizonDays) * 86_400) }
    private var zone: TimeZone { contact.timeZone }

    mutating func plan(into diff: inout PlanDiff, shared: inout SharedPlanningState) {
        slots = SlotFinder(
            clock: shared.clock(for: zone), holidays: policy.holidays.dates(region: contact.region),
            quiet: policy.quietHours,
            stagger: SlotFinder.stagger(contactID: contact.id, spread: policy.staggerMinutes))
        skipStale(into: &diff)
        switch (contact.kind, contact.status) {
        case (_, .unsubscribed):
            for kind in [RuleKind.checkin, .progress, .promotion] { inapplicable[kind] = "contact unsubscribed" }
            explainAll("contact unsubscribed")
        case _ where contact.preferences.channel == ContactPreferences.ChannelPreference.none:
            for kind in [RuleKind.checkin, .progress, .promotion] { inapplicable[kind] = "contact prefers no messages" }
            explainAll("contact prefers no messages (channel = none)")
        case (.client, .paused):
            inapplicable[.promotion] = "contact is now a client"
            inapplicable[.checkin] = "client is paused"
            inapplicable[.progress] = "client is paused"
            explainAll("contact is a client")
        case (.client, .active):
            inapplicable[.promotion] = "contact is now a client"
            explainAll("contact is a client")
            planCheckin()
            planProgressReports()
        case (.customer, _):
            inapplicable[.checkin] = "contact is now a customer"
            inapplicable[.progress] = "contact is now a customer"
            planPromotions()
        }
        place(into: &diff, shared: &shared)
        withdrawUnwanted(into: &diff)
        diff.exclusions += diffExclusions
    }

    // MARK: - Lateness

    /// Scheduled or retrying messages more than their rule's `max_lateness` past due are not
    /// sent blindly after downtime: they are skipped as stale, and the rule plans again.
    private mutating func skipStale(into diff: inout PlanDiff) {
        for entry in entries where entry.state == .scheduled || entry.state == .retryWait {
            guard let lateness = policy.maxLateness(for: entry.key.rule),
                now.timeIntervalSince(entry.dueAt) > lateness
            else { continue }
            staleNow.insert(entry.id)
            existing[entry.key]?.skippedAsStale = true
            existing[entry.key]?.state = .skipped
            let hours = Int(lateness / 3600)
            diff.skips.append(
                Skip(
                    id: entry.id,
                    reason: "stale: due \(Self.iso(entry.dueAt)), more than \(hours) h late; planned again"))
        }
    }

    /// The key for an occurrence, past any occurrences of it skipped as stale: `after:…`,
    /// then `after:…~2`, `after:…~3`.
    private func liveKey(_ base: MessageKey) -> MessageKey {
        var key = base
        var attempt = 1
        while let entry = existing[key], entry.skippedAsStale, attempt < 100 {
            attempt += 1
            key = MessageKey(contactID: base.contactID, rule: base.rule, occurrence: "\(base.occurrence)~\(attempt)")
        }
        return key
    }

    // MARK: - Check-ins

    private mutating func planCheckin() {
        let rule = policy.checkin
        guard rule.enabled else {
            inapplicable[.checkin] = "check-ins are disabled"
            return
        }
        let channel = preferredChannel(rule.channel)
        guard reachable(by: channel) else {
            inapplicable[.checkin] = unreachableByEmail
            return
        }
        // The cadence counts from the latest real touchpoint (data or `rapport touch`) and the
        // last check-in that went out (or that an operator closed by hand).
        let lastCheckin = entries.filter { $0.key.rule == .checkin }.compactMap { entry -> Date? in
            if entry.state == .sent { return entry.sentAt }
            if entry.state.isFinal && entry.closedByOperator { return entry.closedAt }
            return nil
        }.max()
        let anchor = [contact.lastContactAt, touchpoint, lastCheckin].compactMap { $0 }.max()
        let cadence = rule.cadence(for: contact)
        let key = liveKey(
            MessageKey(
                contactID: contact.id, rule: .checkin,
                occurrence: anchor.map { "after:" + Self.iso($0) } ?? "first"))
        var ideal: Date?
        var preferred = rule.sendAt
        if let anchor {
            let anchorDay = LocalDate(anchor, in: zone)
            let earliest = cadence.earliestDate(after: anchorDay)
            if case .rule(let recurrence) = cadence {
                let start = slots.clock.instant(anchorDay, hour: rule.sendAt.hour, minute: rule.sendAt.minute)
                let from = earliest.start(in: zone)
                let next = recurrence.occurrences(from: start, in: zone, latest: from.addingTimeInterval(800 * 86_400))
                    .first { $0 >= from }
                if let next {
                    ideal = next
                    preferred = LocalTime(next, in: zone)
                } else {
                    inapplicable[.checkin] = "the check-in rule \(recurrence.text) has no further occurrence"
                    return
                }
            } else {
                ideal = earliest.start(in: zone)
            }
        }
        var reason: String
        if let anchor {
            let source = contact.checkinEvery != nil ? "client's own" : contact.tier.map { "tier \($0)" } ?? "default"
            reason = "check-in \(cadence) (\(source)), counted from \(LocalDate(anchor, in: zone))"
        } else {
            reason = "first check-in: no touchpoint on record"
        }
        let wish = contact.preferences
        if wish.checkinDay != nil || wish.checkinTime != nil {
            if let time = wish.checkinTime { preferred = time }
            // From the cadence's date when there is one, so the time is the same in every plan
            // (an overdue check-in is not held back for the preferred day). A first check-in
            // has no such date: it counts from now, and keeps its time once stored.
            if let base = ideal {
                ideal = preferredCheckin(onOrAfter: base, at: preferred, on: wish.checkinDay)
            } else if let stored = existing[key], stored.state.isOpen, stored.dueAt >= now {
                ideal = stored.dueAt
            } else {
                ideal = preferredCheckin(onOrAfter: now, at: preferred, on: wish.checkinDay)
            }
            reason +=
                "; client prefers "
                + [wish.checkinDay.map { "\($0)s" }, wish.checkinTime.map { "\($0)" }]
                .compactMap { $0 }.joined(separator: " at ")
        }
        propose(
            Proposal(
                key: key, ideal: ideal, window: rule.window, sendAt: preferred, channel: channel,
                template: rule.template, requiresApproval: rule.requiresApproval, reason: reason))
    }

    /// The first instant at or after `earliest` on the preferred weekday (any day without one)
    /// at `time` on the contact's wall clock. Windows, holidays and caps apply afterwards.
    private func preferredCheckin(onOrAfter earliest: Date, at time: LocalTime, on day: Weekday?) -> Date {
        let first = LocalDate(earliest, in: zone)
        for offset in 0..<15 {
            let date = first.adding(days: offset)
            if let day, date.weekday != day { continue }
            let instant = slots.clock.instant(date, hour: time.hour, minute: time.minute)
            if instant >= earliest { return instant }
        }
        return earliest
    }

    /// The channel a rule sends on for this contact: theirs if they stated one.
    private func preferredChannel(_ ruleChannel: Channel) -> Channel {
        contact.preferences.channel?.channel ?? ruleChannel
    }

    // MARK: - Progress reports

    private mutating func planProgressReports() {
        let rule = policy.progress
        guard rule.enabled else {
            inapplicable[.progress] = "progress reports are disabled"
            return
        }
        let channel = preferredChannel(rule.channel)
        guard reachable(by: channel) else {
            inapplicable[.progress] = unreachableByEmail
            return
        }
        for project in contact.projects where project.status != .active {
            invalidSeries[.progress(project: project.id)] = "project \(project.id) is \(project.status.rawValue)"
        }
        let active = contact.projects.filter { $0.status == .active }
        guard !active.isEmpty else { return }
        let dates = progressOccurrences(rule)
        for project in active {
            for occurrence in dates {
                let key = MessageKey(
                    contactID: contact.id, rule: .progress(project: project.id),
                    occurrence: LocalDate(occurrence, in: zone).description)
                propose(
                    Proposal(
                        key: key, ideal: occurrence, window: rule.window, sendAt: LocalTime(occurrence, in: zone),
                        channel: channel, template: rule.template, requiresApproval: rule.requiresApproval,
                        reason: "progress report on \(project.name) "
                            + (rule.schedule.map { "(\($0.text))" } ?? "(weekly)"),
                        project: project))
            }
        }
    }

    /// The instants of the progress schedule from now to the horizon.
    private func progressOccurrences(_ rule: ProgressRule) -> [Date] {
        let today = LocalDate(now, in: zone)
        guard var schedule = rule.schedule else {
            // From a week back, so that stored reports moved past their date stay wanted.
            return (-7...policy.horizonDays).compactMap { offset -> Date? in
                let day = today.adding(days: offset)
                guard day.weekday == rule.weekday else { return nil }
                let due = slots.clock.instant(day, hour: rule.sendAt.hour, minute: rule.sendAt.minute)
                return due <= horizonEnd ? due : nil
            }
        }
        if schedule.frequency == .weekly && schedule.byDay.isEmpty {
            schedule.byDay = [RecurrenceWeekday(rule.weekday)]
        }
        let start = schedule.alignedStart(near: today)
        let first = slots.clock.instant(start, hour: rule.sendAt.hour, minute: rule.sendAt.minute)
        let recent = now.addingTimeInterval(-8 * 86_400)
        return Array(
            schedule.occurrences(from: first, in: zone, latest: horizonEnd).lazy.filter { $0 >= recent }.prefix(400))
    }

    // MARK: - Promotions

    private mutating func planPromotions() {
        let campaigns = policy.campaigns.sorted { ($0.starts, $0.name) < ($1.starts, $1.name) }
        let known = Set(campaigns.map(\.name))
        for entry in entries where entry.key.rule.kind == .promotion && !known.contains(entry.key.rule.subject ?? "") {
            invalidSeries[entry.key.rule] = "campaign \(entry.key.rule.subject ?? "") was removed"
        }
        guard contact.marketingOptIn else {
            inapplicable[.promotion] = "no marketing opt-in"
            explainAll("no marketing opt-in")
            return
        }
        guard !optedOut else {
            inapplicable[.promotion] = "contact opted out of promotions"
            explainAll("opted out of promotions (unsubscribed)")
            return
        }
        for campaign in campaigns {
            let rule = RuleID.campaign(campaign.name)
            let channel = preferredChannel(campaign.channel)
            guard reachable(by: channel) else {
                invalidSeries[rule] = unreachableByEmail
                exclude(campaign, suppressed ? "address suppressed" : "no email address")
                continue
            }
            if let reason = campaign.segment.exclusion(of: contact) {
                invalidSeries[rule] = reason
                exclude(campaign, reason)
                continue
            }
            let key = liveKey(MessageKey(contactID: contact.id, rule: rule, occurrence: "once"))
            var ideal = slots.clock.instant(campaign.starts, hour: campaign.sendAt.hour, minute: campaign.sendAt.minute)
            // A stored promotion keeps its time while that is still a valid slot: the campaign's
            // send-rate spreading must not be undone by the next plan.
            if let stored = existing[key], stored.state.isOpen, stored.dueAt >= now,
                slots.allows(stored.dueAt, window: campaign.window),
                LocalDate(stored.dueAt, in: zone) >= campaign.starts
            {
                ideal = stored.dueAt
            }
            propose(
                Proposal(
                    key: key, ideal: ideal, window: campaign.window, sendAt: campaign.sendAt,
                    channel: channel, template: campaign.template,
                    requiresApproval: campaign.requiresApproval,
                    reason: "campaign \(campaign.name) (\(campaign.starts) to \(campaign.ends))", campaign: campaign))
        }
    }

    // MARK: - Placement

    private mutating func propose(_ proposal: Proposal) {
        wanted.insert(proposal.key)
        proposals.append(proposal)
    }

    /// Places every proposal in time, in priority order (progress report > check-in >
    /// promotion), under the sending windows and the fatigue caps.
    private mutating func place(into diff: inout PlanDiff, shared: inout SharedPlanningState) {
        var ledger = FatigueLedger()
        let proposed = Set(proposals.map(\.key))
        // What was sent, and what is open and not re-planned here (e.g. a late report), counts.
        for entry in entries where !staleNow.contains(entry.id) {
            if entry.state == .sent || entry.state == .sending {
                ledger.add(LocalDate(entry.sentAt ?? entry.dueAt, in: zone), entry.key.rule.kind)
            } else if entry.state.isOpen && !proposed.contains(entry.key) && wantedIfUnproposed(entry) {
                ledger.add(LocalDate(entry.dueAt, in: zone), entry.key.rule.kind)
            }
        }
        // Occurrences already stored and past due keep their time: they are committed.
        var fixed: [(Proposal, Date)] = []
        var flexible: [Proposal] = []
        for proposal in proposals {
            if let stored = existing[proposal.key], stored.state.isOpen, proposal.ideal.map({ $0 < now }) ?? true {
                fixed.append((proposal, stored.dueAt))
            } else if proposal.key.rule.kind == .progress, let ideal = proposal.ideal, ideal < now {
                continue  // a past report that was never stored is not sent late
            } else {
                flexible.append(proposal)
            }
        }
        for (proposal, due) in fixed {
            ledger.add(LocalDate(due, in: zone), proposal.key.rule.kind)
            emit(proposal, due: due, into: &diff)
        }
        flexible.sort { a, b in
            let left = (a.priority, a.ideal ?? now, a.key.description)
            let right = (b.priority, b.ideal ?? now, b.key.description)
            return left < right
        }
        let caps = policy.effectiveCaps
        for proposal in flexible {
            let kind = proposal.key.rule.kind
            var due = slots.firstSlot(
                onOrAfter: max(proposal.ideal ?? now, now), preferred: proposal.sendAt, window: proposal.window)
            var deferredBy: FatigueCap?
            var blocked = false
            if let campaign = proposal.campaign, campaign.maxPerHour != nil, let stored = existing[proposal.key],
                stored.state.isOpen
            {
                // A stored message already counts in the load; it is placed afresh.
                shared.campaignLoad[campaign.name]?[SharedPlanningState.hour(stored.dueAt)]? -= 1
            }
            for _ in 0..<400 {
                if let campaign = proposal.campaign, let limit = campaign.maxPerHour {
                    due = rateLimited(due, campaign: campaign, limit: limit, proposal, shared)
                }
                guard let cap = ledger.violation(on: LocalDate(due, in: zone), kind: kind, caps: caps) else { break }
                deferredBy = cap
                if kind == .promotion {
                    blocked = true
                    break
                }
                let nextDay = LocalDate(due, in: zone).adding(days: 1).start(in: zone)
                due = slots.firstSlot(onOrAfter: nextDay, preferred: proposal.sendAt, window: proposal.window)
            }
            if let campaign = proposal.campaign, LocalDate(due, in: zone) > campaign.ends {
                invalidSeries[proposal.key.rule] = "campaign window ended on \(campaign.ends)"
                exclude(campaign, "campaign window ends before an open slot")
                wanted.remove(proposal.key)
                continue
            }
            if blocked, let cap = deferredBy {
                let reason = "frequency cap: at most \(cap) for this contact"
                exclude(proposal.campaign, "capped: \(cap)")
                if let stored = existing[proposal.key] {
                    if stored.state.isOpen { diff.skips.append(Skip(id: stored.id, reason: reason)) }
                } else if due <= horizonEnd {
                    diff.additions.append(planned(proposal, due: due, state: .skipped, reason: reason))
                }
                continue
            }
            var proposal = proposal
            if let cap = deferredBy { proposal.reason += "; deferred by the cap of \(cap)" }
            if emit(proposal, due: due, into: &diff) {
                ledger.add(LocalDate(due, in: zone), kind)
                if let campaign = proposal.campaign, campaign.maxPerHour != nil {
                    shared.campaignLoad[campaign.name, default: [:]][SharedPlanningState.hour(due), default: 0] += 1
                }
            }
        }
    }

    /// The first slot at or after `due` whose UTC hour has room in the campaign's rate.
    private func rateLimited(
        _ due: Date, campaign: Campaign, limit: Int, _ proposal: Proposal, _ shared: SharedPlanningState
    ) -> Date {
        var due = due
        for _ in 0..<2_000 {
            let hour = SharedPlanningState.hour(due)
            if shared.campaignLoad[campaign.name]?[hour] ?? 0 < limit { break }
            due = slots.firstSlot(
                onOrAfter: Date(timeIntervalSince1970: Double(hour + 1) * 3600), preferred: proposal.sendAt,
                window: proposal.window)
        }
        return due
    }

    /// Adds, re-times or keeps one occurrence at `due`.
    /// - Returns: whether the occurrence is (or stays) in the outbox to be sent.
    @discardableResult
    private mutating func emit(_ proposal: Proposal, due: Date, into diff: inout PlanDiff) -> Bool {
        if let stored = existing[proposal.key] {
            guard stored.state.isOpen else { return false }
            if stored.dueAt != due, !stored.dueSetByOperator {
                diff.retimings.append(Retiming(id: stored.id, dueAt: due, reason: proposal.reason))
            }
            diff.unchanged.append(planned(proposal, due: due, state: stored.state, reason: proposal.reason))
            return true
        }
        guard due <= horizonEnd else { return false }
        diff.additions.append(
            planned(
                proposal, due: due, state: proposal.requiresApproval ? .pendingApproval : .scheduled,
                reason: proposal.reason))
        return true
    }

    private func planned(_ proposal: Proposal, due: Date, state: MessageState, reason: String) -> PlannedMessage {
        PlannedMessage(
            key: proposal.key, sharedContact: sharedContact, channel: proposal.channel, template: proposal.template,
            dueAt: due, state: state, reason: reason, project: proposal.project,
            sharedCampaign: proposal.campaign.map { campaigns[$0.name] ?? Shared($0) })
    }

    // MARK: - Withdrawal

    /// Whether an open entry nobody proposed stays (a late report of a live series).
    private func wantedIfUnproposed(_ entry: HistoryEntry) -> Bool {
        withdrawal(of: entry) == nil
    }

    private func withdrawal(of entry: HistoryEntry) -> String? {
        let rule = entry.key.rule
        if let reason = inapplicable[rule.kind] ?? invalidSeries[rule] { return reason }
        if rule.kind == .progress, !contact.projects.contains(where: { $0.id == rule.subject }) {
            return "project \(rule.subject ?? "") was removed"
        }
        if rule.kind == .checkin { return "superseded: a newer touchpoint or cadence restarts the schedule" }
        if entry.dueAt >= now { return "no longer on the schedule" }
        // A past-due progress report of a series that still applies stays: it is late, held
        // or being retried, and the dispatcher or the operator decides its fate.
        return nil
    }

    /// Cancels open messages of this contact that the current data and policy no longer want.
    private func withdrawUnwanted(into diff: inout PlanDiff) {
        for entry in entries where entry.state.isOpen && !wanted.contains(entry.key) && !staleNow.contains(entry.id) {
            if let reason = withdrawal(of: entry) {
                diff.cancellations.append(Cancellation(id: entry.id, reason: reason))
            }
        }
    }

    // MARK: - Explanations

    private var diffExclusions: [Exclusion] = []

    private mutating func exclude(_ campaign: Campaign?, _ reason: String) {
        guard explain, let campaign else { return }
        diffExclusions.append(Exclusion(contactID: contact.id, campaign: campaign.name, reason: reason))
    }

    private mutating func explainAll(_ reason: String) {
        guard explain else { return }
        for campaign in policy.campaigns { exclude(campaign, reason) }
    }

    private func reachable(by channel: Channel) -> Bool {
        channel == .webhook || (contact.email != nil && !suppressed)
    }

    /// Why a contact cannot be written to by email.
    private var unreachableByEmail: String { suppressed ? "address suppressed" : "contact has no email address" }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
