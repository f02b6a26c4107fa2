import ArgumentParser
import Foundation
import RapportCore
import RapportStore

/// Options shared by approve, hold, release and cancel.
struct ActionOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Argument(help: "Message ids (or unique prefixes).")
    var ids: [String]

    @Option(name: .customLong("as"), help: "Record the action under this name instead of the Unix user.")
    var actor: String?

    func validate() throws {
        if ids.isEmpty { throw ValidationError("give at least one message id") }
    }
}

/// Carries out `action`, printing one line per message; exits 1 if any was refused.
func perform(_ action: OperatorAction, _ options: ActionOptions, note: String? = nil, past: String) throws {
    let workspace = try Workspace.open(options.global)
    let ids = try workspace.resolve(options.ids)
    let results = try workspace.store.perform(
        action, on: ids, actor: operatorName(options.actor), note: note, at: Date())
    var refused = false
    for result in results {
        if let refusal = result.refusal {
            printError("refused \(result.id): \(refusal)")
            refused = true
        } else {
            print("\(past) \(result.id) (\(result.from?.rawValue ?? "?") → \(result.to?.rawValue ?? "?"))")
        }
    }
    if refused { throw ExitCode.failure }
}

struct Approve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approve messages waiting for approval.")
    @OptionGroup var options: ActionOptions
    func run() throws { try perform(.approve, options, past: "approved") }
}

struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Hold messages: they are not sent until released.")
    @OptionGroup var options: ActionOptions
    func run() throws { try perform(.hold, options, past: "held") }
}

struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Release held messages.")
    @OptionGroup var options: ActionOptions
    func run() throws { try perform(.release, options, past: "released") }
}

struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel messages that have not been sent.")
    @OptionGroup var options: ActionOptions
    @Option(help: "Why, for the audit trail.")
    var reason: String?
    func run() throws { try perform(.cancel, options, note: reason, past: "cancelled") }
}
