import ArgumentParser
import Foundation
import RapportDaemon
import RapportStore

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the store to a new file, safely while the daemon runs.",
        discussion: """
            Uses SQLite's online backup: the copy is one consistent snapshot, the daemon keeps \
            working meanwhile. The file is created with mode 0600; an existing file is refused.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The new file.")
    var path: String

    func run() throws {
        let workspace = try Workspace.open(global)
        do {
            try workspace.store.backup(to: path)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        print("backed up \(workspace.store.location) to \(path)")
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the outbox and its history as JSON Lines.",
        discussion: """
            One line per row: {"table": "message", "row": {...}}, for messages, attempts, the audit \
            trail, touchpoints, contact kinds, opt-outs, suppressions and lifecycle events, from one \
            consistent snapshot. `rapport import-history` reads it back, into this or another backend.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .shortAndLong, help: "Write here instead of standard output (created 0600).")
    var output: String?

    func run() throws {
        let workspace = try Workspace.open(global)
        let handle: FileHandle
        if let output {
            guard !FileManager.default.fileExists(atPath: output),
                FileManager.default.createFile(atPath: output, contents: nil, attributes: [.posixPermissions: 0o600]),
                let file = FileHandle(forWritingAtPath: output)
            else {
                printError("error: \(output): exists or cannot be created")
                throw ExitCode.failure
            }
            handle = file
        } else {
            handle = FileHandle.standardOutput
        }
        var counts: [String: Int] = [:]
        var buffer = Data()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            try workspace.store.exportRows { row in
                buffer.append(try encoder.encode(row))
                buffer.append(0x0A)
                counts[row.table, default: 0] += 1
                if buffer.count > 1 << 20 {
                    handle.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        handle.write(buffer)
        if output != nil { try handle.close() }
        let summary = Outbox.archivedTables.compactMap { table in counts[table].map { "\($0) \(table)" } }
        printError("exported " + (summary.isEmpty ? "nothing" : summary.joined(separator: ", ")))
    }
}

struct ImportHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-history",
        abstract: "Read an export (JSON Lines) into a new, empty store.",
        discussion: """
            All or nothing: a bad line is reported as FILE:LINE: problem and nothing is stored. \
            The store must hold no message yet, so nothing already stored is overwritten.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The export file.")
    var file: String

    func run() throws {
        let workspace = try Workspace.open(global)
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            printError("error: \(file): cannot be read")
            throw ExitCode.failure
        }
        var rows: [(line: Int, row: ArchivedRow)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                rows.append((index + 1, try Self.row(String(line))))
            } catch {
                printError("error: \(file):\(index + 1): \(error)")
                throw ExitCode.failure
            }
        }
        do {
            let counts = try workspace.store.importRows(rows)
            let summary = Outbox.archivedTables.compactMap { table in counts[table].map { "\($0) \(table)" } }
            print("imported " + (summary.isEmpty ? "nothing" : summary.joined(separator: ", ")))
        } catch let problem as ImportProblem {
            printError("error: \(file):\(problem.line): \(problem.problem); nothing was imported")
            throw ExitCode.failure
        } catch {
            printError("error: \(error); nothing was imported")
            throw ExitCode.failure
        }
    }

    struct LineError: Error, CustomStringConvertible {
        var description: String
    }

    static func row(_ line: String) throws -> ArchivedRow {
        do {
            return try JSONDecoder().decode(ArchivedRow.self, from: Data(line.utf8))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw LineError(description: "not a JSON object")
        } catch DecodingError.keyNotFound(let key, _) {
            throw LineError(description: "expected {\"table\": …, \"row\": {…}}: no \(key.stringValue)")
        } catch let DecodingError.dataCorrupted(context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw LineError(description: "\(path): \(context.debugDescription)")
        } catch {
            throw LineError(description: "expected {\"table\": …, \"row\": {…}}")
        }
    }
}
