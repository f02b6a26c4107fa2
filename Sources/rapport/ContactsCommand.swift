import ArgumentParser
import Foundation
import RapportCore
import RapportDaemon
import RapportStore

/// A contact as `rapport contacts` shows it.
struct ContactRow: Encodable {
    var id: String
    var name: String
    var kind: String
    var accountManager: String?
    var lastTouchpoint: Date?
    var lastSent: Date?
    var nextDue: Date?
    var nextRule: String?
    var overdue: Bool
    /// A local opt-out from promotions (a link, an operator).
    var optedOut = false
    /// The data says `marketing_opt_in` but the contact opted out here: the opt-out wins.
    var consentConflict = false

    enum CodingKeys: String, CodingKey {
        case id, name, kind, overdue
        case optedOut = "opted_out"
        case consentConflict = "consent_conflict"
        case accountManager = "account_manager"
        case lastTouchpoint = "last_touchpoint"
        case lastSent = "last_sent"
        case nextDue = "next_due"
        case nextRule = "next_rule"
    }
}

/// Loads the relationship data for commands that show contacts.
func loadSnapshot(_ configuration: Configuration) throws -> Snapshot {
    do {
        return try DataSource(
            path: configuration.dataPath, parser: SnapshotParser(defaultTimeZone: configuration.defaultTimeZone)
        ).load()
    } catch {
        for problem in error.errors { printError("error: \(problem)") }
        throw ExitCode.failure
    }
}

/// Builds the rows, flagging clients overdue for contact: nothing sent and no touchpoint within
/// their check-in cadence, and nothing planned within it either.
func contactRows(
    _ snapshot: Snapshot, activity: [String: ContactActivity], optedOut: Set<String> = [], policy: Policy, now: Date
) -> [ContactRow] {
    snapshot.contacts.map { contact in
        let seen = activity[contact.id]
        var overdue = false
        if contact.kind == .client {
            let cadence = Double(policy.checkin.cadence(for: contact).nominalDays) * 86_400
            let last = [contact.lastContactAt, seen?.lastTouchpointAt, seen?.lastSentAt].compactMap { $0 }.max()
            let quiet = last.map { now.timeIntervalSince($0) > cadence } ?? true
            let nothingPlanned = seen?.nextDueAt.map { $0.timeIntervalSince(now) > cadence } ?? true
            overdue = quiet && nothingPlanned
        }
        return ContactRow(
            id: contact.id, name: contact.name, kind: contact.kind.rawValue,
            accountManager: contact.accountManager?.name,
            lastTouchpoint: [contact.lastContactAt, seen?.lastTouchpointAt].compactMap { $0 }.max(),
            lastSent: seen?.lastSentAt, nextDue: seen?.nextDueAt,
            nextRule: seen?.nextRule?.description, overdue: overdue, optedOut: optedOut.contains(contact.id),
            consentConflict: optedOut.contains(contact.id) && contact.marketingOptIn)
    }
}

struct Contacts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List contacts with their account manager, last touchpoint and next planned message.",
        discussion: "OVERDUE marks clients with no touchpoint or message within their cadence and nothing planned.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Only clients or only customers.")
    var kind: ContactKind?

    @Flag(help: "Only clients overdue for contact.")
    var overdue = false

    @Option(help: "Only contacts of this account manager.")
    var manager: String?

    func run() throws {
        let workspace = try Workspace.open(global)
        let snapshot = try loadSnapshot(workspace.configuration)
        var rows = contactRows(
            snapshot, activity: try workspace.store.activity(),
            optedOut: Set(try workspace.store.optOuts().map(\.contactID)), policy: workspace.configuration.policy,
            now: Date())
        if let kind { rows = rows.filter { $0.kind == kind.rawValue } }
        if overdue { rows = rows.filter(\.overdue) }
        if let manager { rows = rows.filter { $0.accountManager?.lowercased() == manager.lowercased() } }
        switch output.resolved {
        case .json:
            print(jsonText(rows))
        case .csv:
            print(
                csvText(
                    header: [
                        "id", "name", "kind", "account_manager", "last_touchpoint", "next_due", "next_rule", "overdue",
                        "opted_out", "consent_conflict",
                    ],
                    rows: rows.map {
                        [
                            $0.id, $0.name, $0.kind, $0.accountManager ?? "",
                            $0.lastTouchpoint?.formatted(.iso8601) ?? "",
                            $0.nextDue?.formatted(.iso8601) ?? "", $0.nextRule ?? "", $0.overdue ? "true" : "false",
                            $0.optedOut ? "true" : "false", $0.consentConflict ? "true" : "false",
                        ]
                    }))
        case .table:
            let table = Table(columns: [
                Column(title: "ID", width: 8), Column(title: "KIND", width: 8), Column(title: "MANAGER", width: 14),
                Column(title: "TOUCHPOINT", width: 10), Column(title: "NEXT (UTC)", width: 16),
                Column(title: "NEXT RULE", width: 0, flexible: true),
            ])
            print(
                table.render(
                    rows.map {
                        [
                            $0.id, $0.kind, $0.accountManager ?? "-", $0.lastTouchpoint.map(shortDate) ?? "never",
                            $0.nextDue.map(shortUTC) ?? "-",
                            ($0.overdue ? "OVERDUE " : "")
                                + ($0.consentConflict ? "OPTED-OUT (data: opt-in) " : $0.optedOut ? "OPTED-OUT " : "")
                                + ($0.nextRule ?? ""),
                        ]
                    }))
            let overdueCount = rows.filter(\.overdue).count
            let conflicts = rows.filter(\.consentConflict).count
            print(
                "\(rows.count) contacts, \(overdueCount) overdue"
                    + (conflicts > 0
                        ? ", \(conflicts) opted out here while the data says marketing_opt_in (the opt-out wins)" : ""))
        }
        if rows.isEmpty && (kind != nil || overdue || manager != nil) { throw ExitCode.nothingMatched }
    }
}

struct ContactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact", abstract: "One contact's relationship timeline: messages, touchpoints, kind changes.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The contact id.")
    var id: String

    @Flag(help: "Print JSON.")
    var json = false

    struct Entry: Encodable {
        var at: Date
        var what: String
        var detail: String
        var messageId: String?

        enum CodingKeys: String, CodingKey {
            case at, what, detail
            case messageId = "message_id"
        }
    }

    func run() throws {
        let workspace = try Workspace.open(global)
        let snapshot = try loadSnapshot(workspace.configuration)
        let messages = try workspace.store.messages(matching: MessageFilter(contactID: id))
        let contact = snapshot.contact(id: id)
        if contact == nil && messages.isEmpty {
            let near = snapshot.contacts.map(\.id).min { editDistance(id, $0) < editDistance(id, $1) }
            printError("error: no contact with id '\(id)'" + (near.map { "; did you mean \($0)?" } ?? ""))
            throw ExitCode.nothingMatched
        }
        var timeline: [Entry] = []
        if let last = contact?.lastContactAt {
            timeline.append(Entry(at: last, what: "touchpoint", detail: "last contact (from the data)"))
        }
        for message in messages {
            let label = "\(message.rule) \(message.content.subjectForListing)"
            timeline.append(
                Entry(at: message.dueAt, what: message.state.rawValue, detail: label, messageId: message.id))
        }
        for touchpoint in try workspace.store.touchpoints(contactID: id) {
            let note = touchpoint.note.map { ": \($0)" } ?? ""
            timeline.append(Entry(at: touchpoint.at, what: "touchpoint", detail: "by \(touchpoint.actor)\(note)"))
        }
        for event in try workspace.store.auditEvents(matching: AuditFilter(operatorsOnly: false, contactID: id))
        where event.messageID == nil && event.action != "touch" {
            timeline.append(Entry(at: event.at, what: event.action, detail: event.note ?? ""))
        }
        timeline.sort { ($0.at, $0.what) < ($1.at, $1.what) }
        if json {
            print(jsonText(timeline))
            return
        }
        if let contact {
            print("\(contact.id)  \(contact.name)  (\(contact.kind.rawValue), \(contact.timeZone.identifier))")
            if let manager = contact.accountManager { print("Account manager: \(manager.name)") }
            if let email = contact.email { print("Email: \(email)") }
        } else {
            print("\(id)  (no longer in the data)")
        }
        for entry in timeline {
            let id = entry.messageId.map { " [\($0)]" } ?? ""
            print("\(shortUTC(entry.at))  \(fit(entry.what, 16)) \(entry.detail)\(id)")
        }
    }
}

/// `2026-12-07`.
func shortDate(_ date: Date) -> String {
    String(date.formatted(.iso8601).prefix(10))
}
