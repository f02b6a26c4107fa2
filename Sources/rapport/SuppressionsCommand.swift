import ArgumentParser
import Foundation
import RapportCore
import RapportStore

/// `rapport suppressions list|add|remove`: addresses nothing is sent to.
struct Suppressions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The suppression list: addresses nothing is planned or sent to by email.",
        discussion: """
            An address lands here when a server refuses it for good (550, 551, 553 at RCPT), when \
            an operator adds it, or when its owner is erased (`rapport forget`; then only a hash \
            is kept). Open email messages to it are cancelled at once.
            """,
        subcommands: [List.self, Add.self, Remove.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List suppressed addresses, newest first.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let workspace = try Workspace.open(global)
            let entries = try workspace.store.suppressions()
            func shown(_ entry: Suppression) -> String {
                entry.address ?? "(erased) sha256:\(entry.addressHash.prefix(12))…"
            }
            switch output.resolved {
            case .json:
                print(jsonText(entries))
            case .csv:
                print(
                    csvText(
                        header: ["address", "address_hash", "source", "reason", "created_at", "created_by"],
                        rows: entries.map {
                            [
                                $0.address ?? "", $0.addressHash, $0.source, $0.reason,
                                $0.createdAt.formatted(.iso8601),
                                $0.createdBy,
                            ]
                        }))
            case .table:
                let table = Table(columns: [
                    Column(title: "ADDRESS", width: 28), Column(title: "SOURCE", width: 8),
                    Column(title: "SINCE (UTC)", width: 16), Column(title: "REASON", width: 0, flexible: true),
                ])
                print(table.render(entries.map { [shown($0), $0.source, shortUTC($0.createdAt), $0.reason] }))
                print("\(entries.count) suppressed address\(entries.count == 1 ? "" : "es")")
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suppress an address; open email messages to it are cancelled.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The email address.")
        var address: String

        @Option(help: "Why, for the list and the audit trail.")
        var reason: String

        @Option(name: .customLong("as"), help: "Record it under this name instead of the Unix user.")
        var actor: String?

        func validate() throws {
            guard address.contains("@"), !address.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw ValidationError("'\(address)' is not an email address")
            }
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--reason must say why")
            }
        }

        func run() throws {
            let workspace = try Workspace.open(global)
            let cancelled = try workspace.store.suppress(
                address: address, keepAddress: true, reason: reason, source: "operator", actor: operatorName(actor),
                at: Date())
            print(
                "suppressed \(address); cancelled \(cancelled.count) open message\(cancelled.count == 1 ? "" : "s")"
                    + (cancelled.isEmpty ? "" : ": " + cancelled.joined(separator: ", ")))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear a suppression: messages may be planned to the address again.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The email address (an erased person's address matches by its hash).")
        var address: String

        @Option(name: .customLong("as"), help: "Record it under this name instead of the Unix user.")
        var actor: String?

        func run() throws {
            let workspace = try Workspace.open(global)
            guard try workspace.store.unsuppress(address: address, actor: operatorName(actor), at: Date()) else {
                printError("error: \(address) is not suppressed")
                throw ExitCode.nothingMatched
            }
            print("cleared the suppression of \(address); the next plan may write to it again")
        }
    }
}
