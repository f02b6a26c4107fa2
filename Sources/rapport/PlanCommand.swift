import ArgumentParser
import Foundation
import Logging
import RapportCore
import RapportDaemon
import RapportStore

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plan now: show what is added, re-timed and cancelled, and store it unless --dry-run.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Show the plan without storing anything.")
    var dryRun = false

    @Option(help: "Plan as of this time (ISO 8601) instead of now.")
    var now: String?

    @Flag(help: "Print the plan as JSON.")
    var json = false

    @Option(help: "Simulate from this date (YYYY-MM-DD or ISO 8601; with --dry-run and --to).")
    var from: String?

    @Option(help: "Simulate up to this date (exclusive).")
    var to: String?

    @Option(help: "Simulate only this contact.")
    var contact: String?

    @Option(help: "Preview one campaign: recipients, and why others are left out (with --dry-run).")
    var campaign: String?

    @Flag(help: "No progress bar on the terminal.")
    var quiet = false

    @Flag(help: "Plan even when nothing changed since the last plan.")
    var force = false

    func validate() throws {
        if (from != nil || to != nil || campaign != nil) && !dryRun {
            throw ValidationError("--from, --to and --campaign preview a plan; add --dry-run")
        }
        if (from == nil) != (to == nil) { throw ValidationError("give both --from and --to") }
        if contact != nil && from == nil { throw ValidationError("--contact is for a simulation (--from, --to)") }
    }

    struct Line: Encodable {
        var action: String
        var id: String
        var contactId: String
        var rule: String
        var dueAt: Date?
        var state: String?
        var reason: String

        enum CodingKeys: String, CodingKey {
            case action, id, rule, state, reason
            case contactId = "contact_id"
            case dueAt = "due_at"
        }
    }

    func run() throws {
        let workspace = try Workspace.open(global, secrets: .rendering)
        let engine = try makeEngine(
            workspace.configuration, store: workspace.store, logger: makeLogger(level: .warning), delivers: false)
        let instant = try now.map(parseInstant) ?? Date()
        if !force, !dryRun, from == nil, campaign == nil, !engine.needsPlanning(now: instant) {
            if json {
                print("[]")
            } else {
                print(
                    "nothing changed since the last plan (data, configuration, templates, outbox); "
                        + "nothing to do (--force plans anyway)")
            }
            return
        }
        var bar: ProgressBar?
        let progress = { (planned: Int, total: Int) in
            if bar == nil { bar = ProgressBar("planning", total: total, quiet: quiet || total < 1_000) }
            bar?.advance(to: planned)
        }
        // Each piece of the plan as it is stored, one line a change: a plan of a large file
        // has a million, and is not held whole.
        var array = JSONArrayPrinter()
        let observe = { (piece: PlanDiff) in
            if json {
                for line in Self.lines(of: piece) { array.print(line) }
            } else {
                bar?.clear()
                Self.show(piece)
            }
        }
        let report: PlanReport
        do {
            if from != nil || campaign != nil {
                try engine.reloadDataIfChanged()
                if let from, let to {
                    try simulate(engine, store: workspace.store, from: try parseDay(from), to: try parseDay(to))
                } else if let campaign {
                    try preview(campaign, engine: engine, now: instant)
                }
                return
            }
            var incremental: PlanReport?
            if !force, !dryRun {
                incremental = try engine.planChanges(now: instant, progress: progress, observe: observe)
            }
            // Everyone otherwise: the file read as it is planned, not loaded whole first.
            report = try incremental ?? engine.plan(now: instant, dryRun: dryRun, progress: progress, observe: observe)
        } catch {
            bar?.clear()
            // The pieces stored before the failure were printed, and stay stored: the array is
            // closed, so that what was printed is still JSON.
            if json, from == nil, campaign == nil { array.finish() }
            guard let problems = error as? DataErrors else { throw error }
            for problem in problems.errors { printError("error: \(problem)") }
            throw ExitCode.failure
        }
        bar?.finish()
        if json {
            array.finish()
        } else {
            let planned = report.planned
            let verb = dryRun ? "would" : "did"
            print(
                "\(verb) add \(planned.additions), re-time \(planned.retimings), "
                    + "cancel \(planned.cancellations), skip \(planned.skips)"
                    + (dryRun ? " (dry run: nothing stored)" : "")
                    + (report.changesOnly.map {
                        "; planned only the \($0.planned) \($0.planned == 1 ? "contact" : "contacts") that changed"
                    } ?? ""))
        }
        if !report.renderErrors.isEmpty {
            for error in report.renderErrors { printError("error: \(error)") }
            throw ExitCode.failure
        }
    }

    private static func lines(of piece: PlanDiff) -> [Line] {
        var lines: [Line] = piece.additions.map {
            Line(
                action: "add", id: $0.id, contactId: $0.key.contactID, rule: $0.rule.description, dueAt: $0.dueAt,
                state: $0.state.rawValue, reason: $0.reason)
        }
        lines += piece.retimings.map {
            Line(action: "retime", id: $0.id, contactId: "", rule: "", dueAt: $0.dueAt, state: nil, reason: $0.reason)
        }
        lines += piece.cancellations.map {
            Line(action: "cancel", id: $0.id, contactId: "", rule: "", dueAt: nil, state: nil, reason: $0.reason)
        }
        lines += piece.skips.map {
            Line(action: "skip", id: $0.id, contactId: "", rule: "", dueAt: nil, state: nil, reason: $0.reason)
        }
        return lines
    }

    private static func show(_ piece: PlanDiff) {
        for line in lines(of: piece) {
            let due = line.dueAt.map(shortUTC) ?? ""
            print(
                "\(fit(line.action, 6)) \(line.id) \(fit(due, 16)) \(fit(line.contactId, 10)) \(fit(line.rule, 16)) "
                    + line.reason)
        }
    }
}
