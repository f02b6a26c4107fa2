import ArgumentParser
import Foundation
import RapportCore
import RapportDaemon

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the configuration, the relationship data and the templates.",
        discussion: "Prints every error, one per line, and exits 1 if there is any.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let configuration = try Workspace.loadConfiguration(global, secrets: .read)
        var failed = false
        var contacts = 0
        do {
            contacts = try DataSource(
                path: configuration.dataPath, parser: SnapshotParser(defaultTimeZone: configuration.defaultTimeZone)
            ).validate()
        } catch {
            for problem in error.errors { printError("error: \(problem)") }
            failed = true
        }
        var templateCount = 0
        do {
            let renderer = try Renderer(configuration: configuration)
            templateCount = renderer.templates.count
        } catch {
            for problem in error.errors { printError("error: \(problem)") }
            failed = true
        }
        for warning in configuration.warnings { printError("warning: \(warning)") }
        if failed { throw ExitCode.failure }
        print(
            "ok: \(configuration.file): \(contacts) contacts in \(configuration.dataPath), "
                + "\(templateCount) templates in \(configuration.templatesPath)")
    }
}
