import ArgumentParser
import Foundation
import RapportCore
import RapportStore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Options shared by every action: ids, or a filter with `--all-matching`.
struct ActionOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Argument(help: "Message ids (or unique prefixes).")
    var ids: [String] = []

    @Flag(help: "Act on every message the filter options select instead of on ids.")
    var allMatching = false

    @OptionGroup(title: "Filter (with --all-matching)") var filter: MessageFilterOptions

    @Flag(name: .shortAndLong, help: "Do not ask for confirmation.")
    var yes = false

    @Flag(name: .shortAndLong, help: "No progress bar.")
    var quiet = false

    @Option(name: .customLong("as"), help: "Record the action under this name instead of the Unix user.")
    var actor: String?

    func validate() throws {
        if allMatching {
            if !ids.isEmpty { throw ValidationError("give ids or --all-matching with a filter, not both") }
            if filter.isEmpty { throw ValidationError("--all-matching needs at least one filter option") }
        } else {
            if ids.isEmpty { throw ValidationError("give at least one message id (or --all-matching with a filter)") }
            if !filter.isEmpty { throw ValidationError("filter options go with --all-matching") }
        }
    }
}

/// Carries out `action` on the selected messages, one line per message; exits 1 if any was
/// refused, 3 if a filter matched nothing.
func perform(_ action: OperatorAction, _ options: ActionOptions, note: String? = nil) throws {
    let workspace = try Workspace.open(options.global)
    let ids: [String]
    if options.allMatching {
        // Without --state, a filter selects only the messages the action applies to: "hold every
        // check-in" means the ones that can still be held.
        var filter = options.filter.filter(now: Date())
        if filter.states.isEmpty { filter.states = action.allowedStates }
        ids = try workspace.store.messages(matching: filter).map(\.id)
        if ids.isEmpty {
            printError("nothing matched")
            throw ExitCode.nothingMatched
        }
        try confirm("\(action.name) \(ids.count) message\(ids.count == 1 ? "" : "s")", yes: options.yes)
    } else {
        ids = try workspace.resolve(options.ids)
    }
    let actor = operatorName(options.actor)
    let progress = ProgressBar(action.name, total: ids.count, quiet: options.quiet || ids.count < 50)
    var results: [ActionResult] = []
    // Batches keep each transaction short, so the daemon is never kept waiting long.
    for start in stride(from: 0, to: ids.count, by: 200) {
        let batch = Array(ids[start..<min(start + 200, ids.count)])
        results += try workspace.store.perform(action, on: batch, actor: actor, note: note, at: Date())
        progress.advance(by: batch.count)
    }
    progress.finish()
    var refused = 0
    for result in results {
        if let refusal = result.refusal {
            printError("refused \(result.id): \(refusal)")
            refused += 1
        } else {
            print("\(action.pastTense) \(result.id) (\(result.from?.rawValue ?? "?") → \(result.to?.rawValue ?? "?"))")
        }
    }
    if results.count > 1 { print("\(results.count - refused) \(action.pastTense), \(refused) refused") }
    if refused > 0 { throw ExitCode.failure }
}

/// Asks on the terminal; without a terminal, `--yes` is required.
func confirm(_ question: String, yes: Bool) throws {
    if yes { return }
    guard isatty(STDIN_FILENO) == 1 else {
        printError("error: \(question)? Add --yes to confirm (standard input is not a terminal)")
        throw ExitCode.failure
    }
    FileHandle.standardError.write(Data("\(question)? [y/N] ".utf8))
    guard let answer = readLine()?.lowercased(), answer == "y" || answer == "yes" else {
        printError("nothing done")
        throw ExitCode.failure
    }
}

struct Approve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approve messages waiting for approval.")
    @OptionGroup var options: ActionOptions
    func run() throws { try perform(.approve, options) }
}

struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Hold messages: they are not sent until released.")
    @OptionGroup var options: ActionOptions
    func run() throws { try perform(.hold, options) }
}

struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Release held messages (back to scheduled, or to pending_approval if never approved).")
    @OptionGroup var options: ActionOptions
    func run() throws { try perform(.release, options) }
}

struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel messages that have not been sent.")
    @OptionGroup var options: ActionOptions
    @Option(help: "Why, for the audit trail.")
    var reason: String?
    func run() throws { try perform(.cancel, options, note: reason) }
}

struct Reschedule: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move messages to a new due time.")
    @OptionGroup var options: ActionOptions
    @Option(help: "The new due time (ISO 8601, or relative such as 2h or 1d).")
    var at: TimeArgument
    func run() throws { try perform(.reschedule(at.resolve(now: Date())), options) }
}

struct SendNow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-now", abstract: "Make messages due at once (the daemon sends them on its next tick).")
    @OptionGroup var options: ActionOptions
    func run() throws { try perform(.sendNow, options) }
}

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Try failed messages again, due at once with a fresh attempt budget.")
    @OptionGroup var options: ActionOptions
    func run() throws { try perform(.retry, options) }
}
