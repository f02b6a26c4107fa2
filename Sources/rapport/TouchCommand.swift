import ArgumentParser
import Foundation
import Logging
import RapportCore
import RapportDaemon
import RapportStore

/// `rapport touch CONTACT [--at TIME] [--note TEXT]`: records a real touchpoint.
struct Touch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a real touchpoint (a meeting, a call); the check-in cadence restarts from it.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The contact's id, as in the data.")
    var contact: String

    @Option(help: "When it happened: ISO 8601, YYYY-MM-DD (midnight in the contact's zone), or relative (--at=-3d).")
    var at: String?

    @Option(help: "What happened, for the audit trail.")
    var note: String?

    @Option(name: .customLong("as"), help: "Record it under this name instead of the Unix user.")
    var actor: String?

    func run() throws {
        let workspace = try Workspace.open(global)
        let engine = try makeEngine(
            workspace.configuration, store: workspace.store, logger: makeLogger(level: .warning), delivers: false)
        do {
            try engine.reloadDataIfChanged()
        } catch {
            for problem in error.errors { printError("error: \(problem)") }
            throw ExitCode.failure
        }
        guard let person = engine.snapshot?.contact(id: contact) else {
            let near = engine.snapshot?.contacts.map(\.id).min { editDistance(contact, $0) < editDistance(contact, $1) }
            printError(
                "error: no contact '\(contact)' in \(workspace.configuration.dataPath)"
                    + (near.map { "; did you mean \($0)?" } ?? ""))
            throw ExitCode.nothingMatched
        }
        var instant = Date()
        if let at {
            if let date = try? Date(at, strategy: .iso8601) {
                instant = date
            } else if let day = LocalDate(parsing: at) {
                instant = day.start(in: person.timeZone)
            } else if let relative = TimeArgument(argument: at) {
                instant = relative.resolve(now: Date())
            } else {
                throw ValidationError(
                    "--at: '\(at)' is not an ISO 8601 date-time, a date (YYYY-MM-DD) or a relative time (-2h, -3d)")
            }
        }
        if instant > Date().addingTimeInterval(300) {
            throw ValidationError("--at \(at ?? "") is in the future; record touchpoints that happened")
        }
        try workspace.store.recordTouchpoint(
            Touchpoint(
                contactID: person.id, at: instant, note: note, actor: operatorName(actor), recordedAt: Date()))
        print(
            "recorded a touchpoint with \(person.id) at \(shortUTC(instant)) UTC; the next plan restarts its check-ins")
    }
}
