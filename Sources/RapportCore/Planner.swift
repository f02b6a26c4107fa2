import Foundation

/// Decides who should hear from the business, and when.
///
/// `plan(snapshot:history:policy:now:)` is a pure function: no I/O, no clock of its own. Given
/// the same inputs it returns the same diff, and applying a diff then planning again with the
/// same data yields an empty one.
public enum Planner {
    /// Plans every contact in `snapshot` against what the outbox already holds.
    public static func plan(snapshot: Snapshot, history: History, policy: Policy, now: Date) -> PlanDiff {
        var diff = PlanDiff()
        for contact in snapshot.contacts {
            var planner = ContactPlanner(
                contact: contact, entries: history.entries(for: contact.id), policy: policy, now: now)
            planner.plan(into: &diff)
        }
        // Contacts that disappeared from the data: withdraw whatever was still to be sent.
        for contactID in history.byContact.keys.sorted() where snapshot.contact(id: contactID) == nil {
            for entry in history.entries(for: contactID) where entry.state.isOpen {
                diff.cancellations.append(Cancellation(id: entry.id, reason: "contact removed from the data"))
            }
        }
        return diff
    }
}

/// Plans one contact. Kept separate so the rules read top to bottom.
struct ContactPlanner {
    let contact: Contact
    let entries: [HistoryEntry]
    let policy: Policy
    let now: Date
    private let existing: [MessageKey: HistoryEntry]
    private var wanted: Set<MessageKey> = []
    /// Why each rule no longer applies to this contact, for rules that once did.
    private var inapplicable: [RuleKind: String] = [:]
    private var invalidSeries: [RuleID: String] = [:]
    private var promotionsPlanned: [Date] = []

    init(contact: Contact, entries: [HistoryEntry], policy: Policy, now: Date) {
        self.contact = contact
        self.entries = entries
        self.policy = policy
        self.now = now
        self.existing = Dictionary(entries.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private var horizonEnd: Date { now.addingTimeInterval(Double(policy.horizonDays) * 86_400) }
    private var zone: TimeZone { contact.timeZone }

    mutating func plan(into diff: inout PlanDiff) {
        switch contact.kind {
        case .client:
            inapplicable[.promotion] = "contact is now a client"
            planCheckin(into: &diff)
            planProgressReports(into: &diff)
        case .customer:
            inapplicable[.checkin] = "contact is now a customer"
            inapplicable[.progress] = "contact is now a customer"
            planPromotions(into: &diff)
        }
        withdrawUnwanted(into: &diff)
    }

    // MARK: - Check-ins

    private mutating func planCheckin(into diff: inout PlanDiff) {
        let rule = policy.checkin
        guard rule.enabled else {
            inapplicable[.checkin] = "check-ins are disabled"
            return
        }
        guard reachable(by: rule.channel) else {
            inapplicable[.checkin] = "contact has no email address"
            return
        }
        // The cadence counts from the later of the last real touchpoint and the last check-in
        // that went out (or that an operator closed by hand).
        let lastCheckin = entries.filter { $0.key.rule == .checkin }.compactMap { entry -> Date? in
            if entry.state == .sent { return entry.sentAt }
            if entry.state.isFinal && entry.closedByOperator { return entry.closedAt }
            return nil
        }.max()
        let anchor = [contact.lastContactAt, lastCheckin].compactMap { $0 }.max()
        let every = rule.everyDays(tier: contact.tier)
        let key = MessageKey(
            contactID: contact.id, rule: .checkin,
            occurrence: anchor.map { "after:" + Self.iso($0) } ?? "first")
        let ideal = anchor.map { anchor in
            let day = LocalDate(anchor, in: zone).adding(days: every)
            return rule.window.firstSlot(onOrAfter: day.start(in: zone), preferred: rule.sendAt, in: zone)
        }
        let reason: String
        if let anchor {
            let tier = contact.tier.map { "tier \($0)" } ?? "default cadence"
            reason = "check-in every \(every) days (\(tier)), counted from \(LocalDate(anchor, in: zone))"
        } else {
            reason = "first check-in: no touchpoint on record"
        }
        propose(
            key: key, ideal: ideal, window: rule.window, sendAt: rule.sendAt, channel: rule.channel,
            template: rule.template, requiresApproval: rule.requiresApproval, reason: reason, into: &diff)
    }

    // MARK: - Progress reports

    private mutating func planProgressReports(into diff: inout PlanDiff) {
        let rule = policy.progress
        guard rule.enabled else {
            inapplicable[.progress] = "progress reports are disabled"
            return
        }
        guard reachable(by: rule.channel) else {
            inapplicable[.progress] = "contact has no email address"
            return
        }
        for project in contact.projects where project.status != .active {
            invalidSeries[.progress(project: project.id)] = "project \(project.id) is \(project.status.rawValue)"
        }
        let today = LocalDate(now, in: zone)
        for project in contact.projects where project.status == .active {
            for offset in 0...policy.horizonDays {
                let day = today.adding(days: offset)
                guard day.weekday == rule.weekday else { continue }
                let due = day.at(rule.sendAt, in: zone)
                guard due >= now, due <= horizonEnd else { continue }
                let key = MessageKey(
                    contactID: contact.id, rule: .progress(project: project.id), occurrence: day.description)
                propose(
                    key: key, ideal: due, window: nil, sendAt: rule.sendAt, channel: rule.channel,
                    template: rule.template, requiresApproval: rule.requiresApproval,
                    reason: "weekly progress report on \(project.name)", project: project, into: &diff)
            }
        }
    }

    // MARK: - Promotions

    private mutating func planPromotions(into diff: inout PlanDiff) {
        guard contact.marketingOptIn else {
            inapplicable[.promotion] = "no marketing opt-in"
            return
        }
        // Promotions already sent or on their way count against the cap.
        promotionsPlanned = entries.filter { $0.key.rule.kind == .promotion }.compactMap { entry in
            switch entry.state {
            case .sent: entry.sentAt
            case .pendingApproval, .scheduled, .sending, .retryWait, .held: entry.dueAt
            default: nil
            }
        }
        let campaigns = policy.campaigns.sorted { ($0.starts, $0.name) < ($1.starts, $1.name) }
        let known = Set(campaigns.map(\.name))
        for entry in entries where entry.key.rule.kind == .promotion && !known.contains(entry.key.rule.subject ?? "") {
            invalidSeries[entry.key.rule] = "campaign \(entry.key.rule.subject ?? "") was removed"
        }
        for campaign in campaigns {
            let rule = RuleID.campaign(campaign.name)
            guard reachable(by: campaign.channel) else {
                invalidSeries[rule] = "contact has no email address"
                continue
            }
            if !campaign.tags.isEmpty && Set(campaign.tags).isDisjoint(with: contact.tags) {
                invalidSeries[rule] = "contact is not in the campaign's segment"
                continue
            }
            let key = MessageKey(contactID: contact.id, rule: rule, occurrence: "once")
            let opening = campaign.starts.at(campaign.sendAt, in: zone)
            let ideal = campaign.window.firstSlot(onOrAfter: opening, preferred: campaign.sendAt, in: zone)
            let due = resolveDue(key: key, ideal: ideal, window: campaign.window, sendAt: campaign.sendAt)
            if LocalDate(due, in: zone) > campaign.ends {
                invalidSeries[rule] = "campaign window ended on \(campaign.ends)"
                continue
            }
            if existing[key] == nil,
                let conflict = promotionsPlanned.first(where: {
                    abs($0.timeIntervalSince(due)) < Double(policy.promotionMinIntervalDays) * 86_400
                })
            {
                guard due <= horizonEnd else { continue }
                let message = planned(
                    key: key, due: due, state: .skipped, channel: campaign.channel, template: campaign.template,
                    reason: "frequency cap: another promotion on \(LocalDate(conflict, in: zone)), "
                        + "at most one per \(policy.promotionMinIntervalDays) days",
                    campaign: campaign)
                wanted.insert(key)
                diff.additions.append(message)
                continue
            }
            let added = propose(
                key: key, ideal: ideal, window: campaign.window, sendAt: campaign.sendAt, channel: campaign.channel,
                template: campaign.template, requiresApproval: campaign.requiresApproval,
                reason: "campaign \(campaign.name) (\(campaign.starts) to \(campaign.ends))", campaign: campaign,
                into: &diff)
            if added { promotionsPlanned.append(due) }
        }
    }

    // MARK: - Shared machinery

    /// The due time of an occurrence: its ideal time while that is still ahead; once it has
    /// passed, the time already stored (so a held or late message is not chased forward on
    /// every tick), else the first open slot from now.
    private func resolveDue(key: MessageKey, ideal: Date?, window: SendingWindow?, sendAt: LocalTime) -> Date {
        if let ideal, ideal >= now { return ideal }
        if let stored = existing[key] { return stored.dueAt }
        guard let window else { return now }
        return window.firstSlot(onOrAfter: now, preferred: sendAt, in: zone)
    }

    /// Wants an occurrence: adds it, re-times it, or keeps it as it is.
    /// - Returns: whether a new message was added.
    @discardableResult
    private mutating func propose(
        key: MessageKey, ideal: Date?, window: SendingWindow?, sendAt: LocalTime, channel: Channel,
        template: String, requiresApproval: Bool, reason: String, project: Project? = nil,
        campaign: Campaign? = nil, into diff: inout PlanDiff
    ) -> Bool {
        wanted.insert(key)
        let due = resolveDue(key: key, ideal: ideal, window: window, sendAt: sendAt)
        if let stored = existing[key] {
            guard stored.state.isOpen else { return false }
            if stored.dueAt != due {
                diff.retimings.append(Retiming(id: stored.id, dueAt: due, reason: reason))
            }
            diff.unchanged.append(
                planned(
                    key: key, due: due, state: stored.state, channel: channel, template: template, reason: reason,
                    project: project, campaign: campaign))
            return false
        }
        guard due <= horizonEnd else { return false }
        diff.additions.append(
            planned(
                key: key, due: due, state: requiresApproval ? .pendingApproval : .scheduled, channel: channel,
                template: template, reason: reason, project: project, campaign: campaign))
        return true
    }

    private func planned(
        key: MessageKey, due: Date, state: MessageState, channel: Channel, template: String, reason: String,
        project: Project? = nil, campaign: Campaign? = nil
    ) -> PlannedMessage {
        PlannedMessage(
            key: key, contact: contact, channel: channel, template: template, dueAt: due, state: state,
            reason: reason, project: project, campaign: campaign)
    }

    /// Cancels open messages of this contact that the current data and policy no longer want.
    private func withdrawUnwanted(into diff: inout PlanDiff) {
        for entry in entries where entry.state.isOpen && !wanted.contains(entry.key) {
            let rule = entry.key.rule
            if let reason = inapplicable[rule.kind] ?? invalidSeries[rule] {
                diff.cancellations.append(Cancellation(id: entry.id, reason: reason))
            } else if rule.kind == .progress, !contact.projects.contains(where: { $0.id == rule.subject }) {
                diff.cancellations.append(
                    Cancellation(id: entry.id, reason: "project \(rule.subject ?? "") was removed"))
            } else if rule.kind == .checkin {
                diff.cancellations.append(
                    Cancellation(id: entry.id, reason: "superseded: a newer touchpoint restarts the cadence"))
            } else if entry.dueAt >= now {
                diff.cancellations.append(Cancellation(id: entry.id, reason: "no longer on the schedule"))
            }
            // A past-due progress report of a series that still applies stays: it is late, held
            // or being retried, and the dispatcher or the operator decides its fate.
        }
    }

    private func reachable(by channel: Channel) -> Bool {
        channel == .webhook || contact.email != nil
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
