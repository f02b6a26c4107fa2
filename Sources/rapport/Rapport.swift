import ArgumentParser
import Foundation
import RapportDaemon

/// The one executable: `rapport run` for systemd, and the operator's commands.
@main
struct Rapport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rapport",
        abstract: "Plans and sends check-ins, progress reports and promotions; lets operators review them.",
        discussion: """
            Configuration is read from --config, else $RAPPORT_CONFIG, else ./rapport.toml, else \
            /etc/rapport/rapport.toml.

            Exit codes: 0 ok, 1 error, 2 usage, 3 nothing matched.

            Shell completions: rapport --generate-completion-script bash|zsh|fish.
            """,
        version: "0.1.0",
        subcommands: [
            Run.self, Check.self, Plan.self, Status.self, Queue.self, Show.self, Approve.self, Hold.self,
            Release.self, Cancel.self, Reschedule.self, SendNow.self, Retry.self, Touch.self, Contacts.self,
            ContactCommand.self, Audit.self, Unsubscribe.self, Resubscribe.self, OptOuts.self, Suppressions.self,
            Forget.self, Backup.self, Export.self, ImportHistory.self,
        ]
    )

    /// As `ParsableCommand.main()`, but a usage error exits 2 (as documented, and as most Unix
    /// tools do) rather than argument-parser's 64 (`EX_USAGE`); and all threads share one heap
    /// (``shareOneHeapAcrossThreads()``).
    static func main() {
        shareOneHeapAcrossThreads()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration file.")
    var config: String?
}
