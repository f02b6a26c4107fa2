import ArgumentParser
import Foundation
import RapportCore
import RapportDaemon
import RapportStore

/// Finds a contact id in the data or the outbox, or exits 3 suggesting the closest one.
func requireContact(_ id: String, snapshot: Snapshot, workspace: Workspace) throws -> Contact? {
    if let contact = snapshot.contact(id: id) { return contact }
    if try !workspace.store.messages(matching: MessageFilter(contactID: id)).isEmpty { return nil }
    let near = snapshot.contacts.map(\.id).min { editDistance(id, $0) < editDistance(id, $1) }
    printError("error: no contact with id '\(id)'" + (near.map { "; did you mean \($0)?" } ?? ""))
    throw ExitCode.nothingMatched
}

/// `rapport unsubscribe CONTACT`: an opt-out taken by an operator (a phone call, a letter).
struct Unsubscribe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Opt a contact out of promotions, as a one-click link would; pending promotions are cancelled.",
        discussion: "The opt-out wins over marketing_opt_in in the data until `rapport resubscribe`.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The contact's id.")
    var contact: String

    @Option(help: "Why, for the audit trail.")
    var note: String?

    @Option(name: .customLong("as"), help: "Record it under this name instead of the Unix user.")
    var actor: String?

    func run() throws {
        let workspace = try Workspace.open(global)
        _ = try requireContact(contact, snapshot: try loadSnapshot(workspace.configuration), workspace: workspace)
        let cancelled = try workspace.store.recordOptOut(
            OptOut(contactID: contact, at: Date(), source: "operator", actor: operatorName(actor), note: note))
        print(
            "opted \(contact) out of promotions; cancelled \(cancelled.count) pending promotion"
                + (cancelled.count == 1 ? "" : "s"))
    }
}

/// `rapport resubscribe CONTACT`: clears a local opt-out.
struct Resubscribe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clear a contact's local opt-out; promotions resume only if the data says marketing_opt_in.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The contact's id.")
    var contact: String

    @Option(name: .customLong("as"), help: "Record it under this name instead of the Unix user.")
    var actor: String?

    func run() throws {
        let workspace = try Workspace.open(global)
        guard try workspace.store.clearOptOut(contactID: contact, actor: operatorName(actor), at: Date()) else {
            printError("error: \(contact) has no opt-out to clear")
            throw ExitCode.nothingMatched
        }
        print("cleared the opt-out of \(contact); the next plan follows marketing_opt_in in the data")
    }
}

/// `rapport opt-outs`: every local opt-out.
struct OptOuts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opt-outs", abstract: "List local opt-outs from promotions (links and operators).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let workspace = try Workspace.open(global)
        let optOuts = try workspace.store.optOuts()
        switch output.resolved {
        case .json:
            print(jsonText(optOuts))
        case .csv:
            print(
                csvText(
                    header: ["contact_id", "scope", "at", "source", "actor", "note"],
                    rows: optOuts.map {
                        [$0.contactID, $0.scope, $0.at.formatted(.iso8601), $0.source, $0.actor, $0.note ?? ""]
                    }))
        case .table:
            let table = Table(columns: [
                Column(title: "CONTACT", width: 12), Column(title: "AT (UTC)", width: 16),
                Column(title: "SOURCE", width: 8), Column(title: "BY", width: 16),
                Column(title: "NOTE", width: 0, flexible: true),
            ])
            print(
                table.render(
                    optOuts.map { [$0.contactID, shortUTC($0.at), $0.source, $0.actor, $0.note ?? ""] }))
            print("\(optOuts.count) opt-out\(optOuts.count == 1 ? "" : "s")")
        }
    }
}

/// `rapport forget CONTACT`: erasure of a person's data.
struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase a contact's personal data from the store (names, addresses, bodies, answers, notes).",
        discussion: """
            Open messages are cancelled; the rows that remain carry a pseudonym; an anonymised \
            audit event records the erasure. Remove the person from the data file too.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The contact's id.")
    var contact: String

    @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
    var yes = false

    @Option(name: .customLong("as"), help: "Record it under this name instead of the Unix user.")
    var actor: String?

    func run() throws {
        let workspace = try Workspace.open(global)
        let snapshot = try loadSnapshot(workspace.configuration)
        let person = try requireContact(contact, snapshot: snapshot, workspace: workspace)
        try confirm("erase every personal detail of \(contact) from the store (this cannot be undone)", yes: yes)
        let report = try workspace.store.forget(
            contactID: contact, address: person?.email, actor: operatorName(actor), at: Date())
        print(
            "erased \(contact): \(report.messages) messages (\(report.cancelled) cancelled), \(report.attempts) "
                + "attempts, \(report.events) audit events, \(report.touchpoints) touchpoints; "
                + "what remains is recorded as \(report.pseudonym)")
        if person != nil {
            printError(
                "warning: \(contact) is still in \(workspace.configuration.dataPath); remove them there too")
        }
    }
}
