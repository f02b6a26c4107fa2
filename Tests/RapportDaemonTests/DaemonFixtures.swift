import Foundation
import RapportDaemon

/// A temporary folder with a configuration, data and the repository's templates.
final class Sandbox {
    let directory: String

    static let templates: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Templates").path
    }()

    init() {
        directory = NSTemporaryDirectory() + "rapport-daemon-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { directory + "/" + name }

    func write(_ name: String, _ text: String) {
        let file = path(name)
        try? FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: file, atomically: true, encoding: .utf8)
    }

    /// A minimal valid configuration; `extra` is appended as more TOML.
    func config(templates: String = Sandbox.templates, data: String = "contacts.json", _ extra: String = "") -> String {
        """
        [data]
        path = "\(data)"
        [store]
        path = "state/outbox.sqlite"
        [templates]
        path = "\(templates)"
        [sender]
        from = "Firm <firm@example.com>"
        [email]
        transport = "maildir"
        maildir = "state/mail"
        [webhook]
        transport = "maildir"
        maildir = "state/hooks"
        \(extra)
        """
    }

    func load(_ toml: String, environment: [String: String] = [:]) throws(ConfigurationErrors) -> Configuration {
        write("rapport.toml", toml)
        return try Configuration.load(path: path("rapport.toml"), environment: environment)
    }

    /// The error lines a configuration produces.
    func errors(_ toml: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try load(toml, environment: environment)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }
}

let sampleContacts = """
    [
      {"id": "c1", "name": "Ada Lovelace", "email": "ada@example.com", "kind": "client", "timezone": "Europe/London",
       "tier": "gold", "last_contact_at": "2026-11-01T10:00:00Z",
       "account_manager": {"name": "Mary <Somerville> & Co", "email": "mary@firm.example"},
       "projects": [{"id": "p1", "name": "Pension review", "status": "active", "progress": 40}]},
      {"id": "k1", "name": "Alan Turing", "email": "alan@example.com", "kind": "customer", "timezone": "Europe/Berlin",
       "marketing_opt_in": true}
    ]
    """
