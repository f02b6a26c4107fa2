import ArgumentParser
import Foundation
import RapportCore
import RapportDaemon
import RapportStore

/// `--from`/`--to` accept a date (midnight UTC) or an ISO 8601 date-time.
func parseDay(_ text: String) throws -> Date {
    if let day = LocalDate(parsing: text) { return day.start(in: .gmt) }
    return try parseInstant(text)
}

extension Plan {
    /// Runs the planner forward over a period against a copy of the outbox and prints what
    /// would be sent and why, and what would be skipped or cancelled.
    func simulate(_ engine: Engine, store: any OutboxStore, from: Date, to: Date) throws {
        guard from < to else { throw ValidationError("--from must be before --to") }
        guard to.timeIntervalSince(from) <= 3 * 366 * 86_400 else {
            throw ValidationError("simulate at most three years at a time")
        }
        guard var snapshot = engine.snapshot else { throw EngineError.noData }
        if let contact {
            guard let person = snapshot.contact(id: contact) else {
                printError("error: no contact '\(contact)' in the data")
                throw ExitCode.nothingMatched
            }
            snapshot = Snapshot(contacts: [person], source: snapshot.source)
        }
        let history = try store.planningState().history
        let ids = Set(snapshot.contacts.map(\.id))
        let scoped = History(
            history.byContact.filter { ids.contains($0.key) }.values.flatMap { $0 },
            touchpoints: history.touchpoints.filter { ids.contains($0.key) })
        var simulation = Simulation(history: scoped)
        simulation.run(snapshot: snapshot, policy: engine.configuration.policy, from: from, to: to, step: 3600)
        let sent = simulation.sent.filter { $0.at >= from }.sorted {
            ($0.at, $0.key.description) < ($1.at, $1.key.description)
        }
        let closed = simulation.closed.filter { $0.at >= from }
        if json {
            struct Event: Encodable {
                var action, contactId, rule, reason: String
                var at: Date
                var local: String?
                enum CodingKeys: String, CodingKey {
                    case action, rule, reason, at, local
                    case contactId = "contact_id"
                }
            }
            var events = sent.map { item in
                Event(
                    action: "send", contactId: item.key.contactID, rule: item.key.rule.description, reason: item.reason,
                    at: item.at, local: localText(item.at, contact: snapshot.contact(id: item.key.contactID)))
            }
            events += closed.map { item in
                Event(
                    action: item.state == .cancelled ? "cancel" : "skip", contactId: item.key?.contactID ?? "",
                    rule: item.key?.rule.description ?? "", reason: item.reason, at: item.at, local: nil)
            }
            print(jsonText(events))
            return
        }
        for item in sent {
            let local = localText(item.at, contact: snapshot.contact(id: item.key.contactID))
            print(
                "send   \(shortUTC(item.at)) \(fit(local, 22)) \(fit(item.key.contactID, 10)) "
                    + "\(fit(item.key.rule.description, 18)) \(item.reason)")
        }
        for item in closed {
            print(
                "\(fit(item.state == .cancelled ? "cancel" : "skip", 6)) \(shortUTC(item.at)) \(fit("", 22)) "
                    + "\(fit(item.key?.contactID ?? "", 10)) \(fit(item.key?.rule.description ?? "", 18)) \(item.reason)"
            )
        }
        print(
            "simulated \(shortUTC(from)) to \(shortUTC(to)): would send \(sent.count), "
                + "skip \(closed.filter { $0.state == .skipped }.count), "
                + "cancel \(closed.filter { $0.state == .cancelled }.count) (dry run: nothing stored)")
    }

    /// The count of a campaign's recipients, and why every other contact is left out.
    func preview(_ name: String, engine: Engine, now: Date) throws {
        guard engine.configuration.policy.campaigns.contains(where: { $0.name == name }) else {
            printError("error: no campaign '\(name)' in the configuration")
            throw ExitCode.nothingMatched
        }
        let rule = RuleID.campaign(name)
        var added = 0
        var kept = 0
        var capped = 0
        var reasons: [String: Int] = [:]
        _ = try engine.plan(
            now: now, dryRun: true, explain: true,
            observe: { piece in
                for planned in piece.additions where planned.rule == rule {
                    if planned.state == .skipped { capped += 1 } else { added += 1 }
                }
                kept += piece.unchanged.count { $0.rule == rule }
                for exclusion in piece.exclusions where exclusion.campaign == name {
                    let reason = exclusion.reason.hasPrefix("not in segment") ? "not in segment" : exclusion.reason
                    reasons[reason.hasPrefix("capped") ? "capped" : reason, default: 0] += 1
                }
            })
        if json {
            struct Preview: Encodable {
                var campaign: String
                var recipients: Int
                var alreadyPlanned: Int
                var excluded: [String: Int]
                enum CodingKeys: String, CodingKey {
                    case campaign, recipients, excluded
                    case alreadyPlanned = "already_planned"
                }
            }
            print(
                jsonText(
                    Preview(
                        campaign: name, recipients: added + kept, alreadyPlanned: kept,
                        excluded: reasons)))
            return
        }
        print("campaign \(name): \(added + kept) recipients (\(kept) already planned)")
        if capped > 0 { print("  \(capped) would be skipped by a frequency cap") }
        for (reason, count) in reasons.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            print("  excluded \(count): \(reason)")
        }
    }

    private func localText(_ date: Date, contact: Contact?) -> String {
        guard let contact else { return "" }
        let zone = contact.timeZone
        return "\(LocalDate(date, in: zone)) \(LocalTime(date, in: zone)) local"
    }
}
