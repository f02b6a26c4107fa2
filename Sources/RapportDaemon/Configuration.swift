import Crypto
import Foundation
import RapportCore
import RapportDelivery
import RapportStore
import TOMLKit

/// Rapport's configuration, read from `rapport.toml`. Relative paths are resolved against the
/// directory of the configuration file.
public struct Configuration: Sendable {
    /// Where the configuration was read from.
    public var file: String
    public var dataPath: String
    public var defaultTimeZone: TimeZone?
    /// `[store] path`: the SQLite file (when no `url` is given).
    public var storePath: String
    /// `[store] url`: a PostgreSQL database (`postgres://user:password@host:port/database`)
    /// that several daemons may share; `nil` for the embedded SQLite store.
    public var storeURL: String?

    /// What opens the store: the PostgreSQL URL, or else the SQLite path.
    public var storeLocation: String { storeURL ?? storePath }

    /// The store's location for logs: the URL without its password.
    public var storeDisplayName: String {
        guard let storeURL else { return storePath }
        guard var components = URLComponents(string: storeURL) else { return "postgres://…" }
        components.password = nil
        return components.string ?? "postgres://…"
    }
    public var templatesPath: String
    public var sender: Mailbox
    public var businessName: String
    public var email: EmailTransportSettings
    public var webhook: WebhookTransportSettings
    public var tickInterval: Duration = .seconds(60)
    public var batchSize = 100
    /// `[daemon] sends_per_commit`: how many sends a worker may make before it waits for
    /// their outcomes to be committed (together, in one transaction). 1 keeps the tightest
    /// crash bound (a crash repeats at most one send per worker); more commits less often and
    /// sends faster, and a crash may repeat up to this many sends per worker.
    public var sendsPerCommit = 1
    public var leaseSeconds = 300.0
    public var retry = RetryPolicy()
    public var policy = Policy()
    /// `[http] listen`: where `/metrics`, `/healthz` and `/readyz` are served; `nil` for no
    /// listener.
    public var httpListen: HTTPListenAddress?
    /// `[unsubscribe]`: one-click unsubscribe links in promotions; `nil` for none.
    public var unsubscribe: UnsubscribeSettings?
    /// `[store] retention_days`: rendered bodies of closed messages are erased this long after
    /// they closed; `nil` keeps them.
    public var retention: Duration? = .seconds(90 * 86_400)
    /// The SHA-256 of the file this configuration was read from (empty when built in code).
    public var sourceDigest = ""
    /// `[events]`: lifecycle events sent to a webhook consumer; `nil` sends none.
    public var events: EventSettings?

    /// Which lifecycle events go out, and where.
    public struct EventSettings: Sendable {
        public var types: Set<LifecycleEventType>
        public var destination: WebhookTransportSettings
    }

    /// `concurrency`, `rate_per_second`, `rate_per_hour` per channel (`[email]`, `[webhook]`).
    public var deliveryLimits: [Channel: DeliveryLimits] = [.email: DeliveryLimits(), .webhook: DeliveryLimits()]

    /// How email leaves: SMTP through libcurl, or files in a folder.
    public enum EmailTransportSettings: Sendable {
        case smtp(SMTPConfiguration)
        case maildir(String)
    }

    /// How webhook messages leave: signed HTTP POSTs, or files in a folder.
    public enum WebhookTransportSettings: Sendable {
        case http(WebhookConfiguration)
        case maildir(String)
    }

    /// Settings that work but weaken security, to be logged as warnings at every start and reload.
    public var warnings: [String] {
        var warnings: [String] = []
        if case .smtp(let smtp) = email {
            if !smtp.verifyPeer {
                warnings.append(
                    "[email] verify_peer = false: the relay's certificate is not checked; anyone on the path can read and change mail"
                )
            }
            if smtp.startTLS != .required, smtp.url.lowercased().hasPrefix("smtp://"),
                !ConfigurationReader.isLoopback(url: smtp.url)
            {
                warnings.append(
                    "[email] starttls = \"\(smtp.startTLS.rawValue)\" for a relay on another host: mail may travel in clear"
                )
            }
        }
        return warnings
    }

    /// Finds the configuration file: `--config`, else `$RAPPORT_CONFIG`, else `./rapport.toml`,
    /// else `/etc/rapport/rapport.toml`.
    public static func locate(explicit: String?, environment: [String: String]) -> String {
        if let explicit { return explicit }
        if let fromEnvironment = environment["RAPPORT_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        if FileManager.default.fileExists(atPath: "rapport.toml") { return "rapport.toml" }
        return "/etc/rapport/rapport.toml"
    }

    /// Whether secrets are read: the daemon needs them; operator commands that only read or
    /// change the outbox do not, and should not need the daemon's credentials.
    public enum Secrets: Sendable {
        /// Every secret (the daemon, `rapport check`).
        case read
        /// Only the unsubscribe secret, which rendering a promotion needs (`rapport plan`).
        case rendering
        /// None (commands that only read or steer the outbox).
        case skip
    }

    /// Reads and validates the configuration at `path`, reading secrets from their files or
    /// environment variables unless `secrets` is `.skip`.
    public static func load(path: String, environment: [String: String], secrets: Secrets = .read)
        throws(ConfigurationErrors) -> Configuration
    {
        let sink = ErrorSink(file: path)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationErrors([ConfigurationError(file: path, key: nil, problem: "cannot read the file")])
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationErrors([
                ConfigurationError(
                    file: "\(path):\(error.source.begin.line)", key: nil, problem: "TOML syntax: \(error.description)")
            ])
        } catch {
            throw ConfigurationErrors([ConfigurationError(file: path, key: nil, problem: "TOML syntax: \(error)")])
        }
        let base = (path as NSString).deletingLastPathComponent
        let reader = ConfigurationReader(
            root: TOMLReader(table, path: "", sink: sink), base: base.isEmpty ? "." : base, environment: environment,
            readsSecrets: secrets == .read, readsRenderingSecrets: secrets != .skip, sink: sink)
        var configuration = reader.read(file: path)
        if !sink.errors.isEmpty { throw ConfigurationErrors(sink.errors) }
        configuration!.sourceDigest = hexDigits(SHA256.hash(data: Data(text.utf8)))
        return configuration!
    }
}

/// The reading of each section, kept apart from the public type.
struct ConfigurationReader {
    let root: TOMLReader
    let base: String
    let environment: [String: String]
    let readsSecrets: Bool
    let readsRenderingSecrets: Bool
    let sink: ErrorSink

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
    }

    func read(file: String) -> Configuration? {
        let data = root.table("data")
        let dataPath = data?.string("path")
        if dataPath == nil { sink.add("data.path", "required") }
        var defaultZone: TimeZone?
        if let name = data?.string("default_timezone") {
            defaultZone = TimeZone(identifier: name)
            if defaultZone == nil { data?.fail("default_timezone", "unknown time zone '\(name)'") }
        }
        data?.finish()

        let store = root.table("store")
        let storePath = store?.string("path") ?? "rapport.sqlite"
        var storeURL = store?.string("url")
        if let url = storeURL {
            if !(url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")) {
                store?.fail("url", "'\(url.prefix(40))' is not a postgres:// URL")
            } else if store?.string("path") != nil {
                store?.fail("url", "set either path (SQLite) or url (PostgreSQL), not both")
            } else if let problem = Outbox.problem(withPostgresURL: url) {
                store?.fail("url", problem)
            }
        }
        // The database password, kept out of the URL (and so out of this file) when given here.
        if let store, let password = secret(store, "password", required: false, purpose: "", reads: true) {
            if let url = storeURL, var components = URLComponents(string: url) {
                if components.password != nil {
                    store.fail("password_file", "the url already holds a password; give it in one place")
                } else {
                    components.password = password
                    storeURL = components.string
                }
            } else if storeURL == nil {
                store.fail("password_file", "a password is for a PostgreSQL store (url), not the SQLite file")
            }
        }
        let retentionDays = store?.int("retention_days", in: 0...36_500)
        store?.finish()

        let templates = root.table("templates")
        let templatesPath = templates?.string("path") ?? "Templates"
        templates?.finish()

        let senderTable = root.table("sender")
        var sender: Mailbox?
        if let from = senderTable?.string("from") {
            do {
                sender = try Mailbox(parsing: from)
            } catch {
                senderTable?.fail("from", "'\(from)' is not an address (\"Name <address>\")")
            }
        } else {
            sink.add("sender.from", "required")
        }
        let businessName = senderTable?.string("business_name") ?? sender?.name ?? ""
        senderTable?.finish()

        let emailTable = root.table("email")
        let webhookTable = root.table("webhook")
        let limits: [Channel: DeliveryLimits] = [
            .email: emailTable.map(readLimits) ?? DeliveryLimits(),
            .webhook: webhookTable.map(readLimits) ?? DeliveryLimits(),
        ]
        let email = readEmail(emailTable)
        let webhook = readWebhook(webhookTable)

        var configuration = Configuration(
            file: file, dataPath: resolve(dataPath ?? ""), defaultTimeZone: defaultZone, storePath: resolve(storePath),
            templatesPath: resolve(templatesPath), sender: sender ?? Mailbox(name: nil, address: "invalid@invalid"),
            businessName: businessName, email: email ?? .maildir(resolve("outbox/mail")),
            webhook: webhook ?? .maildir(resolve("outbox/webhooks")))

        configuration.deliveryLimits = limits
        configuration.storeURL = storeURL
        if let retentionDays {
            configuration.retention = retentionDays == 0 ? nil : .seconds(retentionDays * 86_400)
        }
        if let daemon = root.table("daemon") {
            if let seconds = daemon.int("tick_seconds", in: 1...86_400) {
                configuration.tickInterval = .seconds(seconds)
            }
            if let size = daemon.int("batch_size", in: 1...10_000) { configuration.batchSize = size }
            if let sends = daemon.int("sends_per_commit", in: 1...1_000) { configuration.sendsPerCommit = sends }
            if let lease = daemon.int("lease_seconds", in: 10...86_400) { configuration.leaseSeconds = Double(lease) }
            let attempts = daemon.int("max_attempts", in: 1...100)
            let base = daemon.int("retry_base_seconds", in: 1...86_400)
            let most = daemon.int("retry_max_seconds", in: 1...604_800)
            if let texts = daemon.strings("retry_schedule") {
                let waits = texts.map { (text: $0, wait: Self.wait(parsing: $0)) }
                if let bad = waits.first(where: { $0.wait == nil }) {
                    daemon.fail(
                        "retry_schedule", "'\(bad.text)' is not a wait such as \"30s\", \"5m\", \"2h\" or \"1d\"")
                } else if waits.isEmpty {
                    daemon.fail("retry_schedule", "give at least one wait, or max_attempts = 1 for no retries")
                } else if base != nil || most != nil {
                    daemon.fail("retry_schedule", "give either retry_schedule or retry_base_seconds/retry_max_seconds")
                } else {
                    configuration.retry = RetryPolicy(schedule: waits.compactMap(\.wait), maxAttempts: attempts)
                }
            } else if base != nil || most != nil {
                configuration.retry = RetryPolicy(
                    maxAttempts: attempts ?? 8, baseDelay: .seconds(base ?? 60), maxDelay: .seconds(most ?? 6 * 3600))
            } else if let attempts {
                configuration.retry.maxAttempts = attempts
            }
            daemon.finish()
        }
        if let http = root.table("http") {
            if let text = http.string("listen") {
                configuration.httpListen = HTTPListenAddress(parsing: text)
                if configuration.httpListen == nil {
                    http.fail("listen", "'\(text)' is not host:port (such as \"127.0.0.1:9465\")")
                }
            }
            http.finish()
        }
        if let table = root.table("events") {
            configuration.events = readEvents(table, webhook: webhook)
        }
        if let table = root.table("unsubscribe") {
            configuration.unsubscribe = readUnsubscribe(table)
            table.finish()
        }
        configuration.policy = readPolicy()
        root.finish()
        return sink.errors.isEmpty ? configuration : nil
    }

    // MARK: - Transports

    /// `concurrency`, `rate_per_second` and `rate_per_hour` of `[email]` or `[webhook]`.
    private func readLimits(_ table: TOMLReader) -> DeliveryLimits {
        var limits = DeliveryLimits()
        if let concurrency = table.int("concurrency", in: 1...64) { limits.concurrency = concurrency }
        limits.perSecond = table.number("rate_per_second", in: 0.001...100_000)
        limits.perHour = table.int("rate_per_hour", in: 1...100_000_000)
        return limits
    }

    /// Whether an `smtp://` URL names this machine (127.0.0.0/8, ::1 or localhost).
    static func isLoopback(url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return false }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    private func readEmail(_ table: TOMLReader?) -> Configuration.EmailTransportSettings? {
        guard let table else { return nil }
        defer { table.finish() }
        switch table.string("transport") ?? "maildir" {
        case "maildir":
            return .maildir(resolve(table.string("maildir") ?? "outbox/mail"))
        case "smtp":
            guard let url = table.string("url") else {
                table.fail("url", "required when transport = \"smtp\"")
                return nil
            }
            if !(url.hasPrefix("smtp://") || url.hasPrefix("smtps://")) {
                table.fail("url", "'\(url)' must start with smtp:// or smtps://")
            }
            var settings = SMTPConfiguration(url: url)
            // Required by default; a relay on this machine (Postfix on 127.0.0.1) often has no
            // certificate, so there TLS is used when offered.
            settings.startTLS =
                table.oneOf("starttls", StartTLS.self) ?? (Self.isLoopback(url: url) ? .opportunistic : .required)
            settings.username = table.string("username")
            settings.password = secret(table, "password", required: false)
            settings.caFile = table.string("ca_file").map(resolve)
            if let caFile = settings.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
                table.fail("ca_file", "\(caFile) cannot be read")
            }
            if let verify = table.bool("verify_peer") { settings.verifyPeer = verify }
            if let seconds = table.int("timeout_seconds", in: 1...600) { settings.timeout = .seconds(seconds) }
            return .smtp(settings)
        case let other:
            table.fail("transport", "'\(other)' is not one of \"smtp\", \"maildir\"")
            return nil
        }
    }

    private func readWebhook(_ table: TOMLReader?) -> Configuration.WebhookTransportSettings? {
        guard let table else { return nil }
        defer { table.finish() }
        switch table.string("transport") ?? "maildir" {
        case "maildir":
            return .maildir(resolve(table.string("maildir") ?? "outbox/webhooks"))
        case "http":
            guard let url = table.string("url") else {
                table.fail("url", "required when transport = \"http\"")
                return nil
            }
            if !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                table.fail("url", "'\(url)' must start with http:// or https://")
            }
            var settings = WebhookConfiguration(url: url, secrets: webhookSecrets(table, required: true) ?? [])
            if let seconds = table.int("timeout_seconds", in: 1...600) { settings.timeout = .seconds(seconds) }
            settings.caFile = table.string("ca_file").map(resolve)
            return .http(settings)
        case let other:
            table.fail("transport", "'\(other)' is not one of \"http\", \"maildir\"")
            return nil
        }
    }

    /// The signing secrets of `secret_file`/`secret_env`/`secret_credential`: one or more
    /// `whsec_…`, separated by white space (several while rotating).
    private func webhookSecrets(_ table: TOMLReader, required: Bool) -> [WebhookSecret]? {
        guard let text = secret(table, "secret", required: required) else { return nil }
        var secrets: [WebhookSecret] = []
        for (index, part) in text.split(whereSeparator: \.isWhitespace).enumerated() {
            do {
                secrets.append(try WebhookSecret(String(part)))
            } catch {
                table.fail("secret", "secret \(index + 1) is not of the form whsec_<base64>")
            }
        }
        return secrets
    }

    /// `[events]`: which lifecycle events to send, and where (by default the `[webhook]`
    /// endpoint and secret, or its folder).
    func readEvents(_ table: TOMLReader, webhook: Configuration.WebhookTransportSettings?) -> Configuration
        .EventSettings?
    {
        defer { table.finish() }
        var types: Set<LifecycleEventType> = []
        for name in table.strings("types") ?? [] {
            if name == "*" {
                types.formUnion(LifecycleEventType.allCases)
            } else if let type = LifecycleEventType(rawValue: name) {
                types.insert(type)
            } else {
                let known = LifecycleEventType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                table.fail("types", "'\(name)' is not one of \(known), \"*\"")
            }
        }
        if !table.has("types") { table.fail("types", "required: the events to send, e.g. [\"message.failed\"]") }
        let timeout = table.int("timeout_seconds", in: 1...600)
        let url = table.string("url")
        if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            table.fail("url", "'\(url)' must start with http:// or https://")
        }
        let secrets = webhookSecrets(table, required: false)
        let destination: Configuration.WebhookTransportSettings
        switch (url, webhook) {
        case (let url?, .http(let settings)?):
            destination = .http(
                WebhookConfiguration(url: url, secrets: secrets ?? settings.secrets, caFile: settings.caFile))
        case (let url?, _):
            guard let secrets else {
                if readsSecrets {
                    table.fail("secret_file", "required (or secret_env, secret_credential) when [webhook] is not http")
                }
                return nil
            }
            destination = .http(WebhookConfiguration(url: url, secrets: secrets))
        case (nil, let webhook?):
            destination = webhook
        case (nil, nil):
            destination = .maildir(resolve("outbox/webhooks"))
        }
        var settings = Configuration.EventSettings(types: types, destination: destination)
        if let timeout, case .http(var http) = settings.destination {
            http.timeout = .seconds(timeout)
            settings.destination = .http(http)
        }
        return settings
    }

    /// A secret from `<name>_file`, `<name>_env` or `<name>_credential` (a file in systemd's
    /// `$CREDENTIALS_DIRECTORY`, from `LoadCredential=`); an inline `<name>` is refused so that
    /// secrets never sit in a file that is shown, copied and committed.
    private func secret(
        _ table: TOMLReader, _ name: String, required: Bool, purpose: String = "the signing secret, whsec_…",
        reads: Bool? = nil
    ) -> String? {
        if table.string(name) != nil {
            table.fail(name, "inline secrets are not accepted; use \(name)_file, \(name)_env or \(name)_credential")
        }
        let file = table.string("\(name)_file")
        let variable = table.string("\(name)_env")
        let credential = table.string("\(name)_credential")
        let given = [file, variable, credential].compactMap { $0 }.count
        if given == 0 {
            if required {
                table.fail("\(name)_file", "required (or \(name)_env, \(name)_credential): \(purpose)")
            }
            return nil
        }
        if given > 1 {
            table.fail(
                credential != nil ? "\(name)_credential" : "\(name)_file",
                "give only one of \(name)_file, \(name)_env, \(name)_credential")
            return nil
        }
        if let credential, credential.isEmpty || credential.contains("/") || credential == "." || credential == ".." {
            table.fail("\(name)_credential", "'\(credential)' is not a credential name")
            return nil
        }
        guard reads ?? readsSecrets else { return nil }
        if let file { return readSecretFile(table, key: "\(name)_file", path: resolve(file), what: "secret file") }
        if let variable {
            guard let value = environment[variable], !value.isEmpty else {
                table.fail("\(name)_env", "environment variable \(variable) is not set")
                return nil
            }
            return value
        }
        if let credential {
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                table.fail(
                    "\(name)_credential",
                    "$CREDENTIALS_DIRECTORY is not set (LoadCredential=\(credential):… in the unit provides it)")
                return nil
            }
            let path = (directory as NSString).appendingPathComponent(credential)
            return readSecretFile(table, key: "\(name)_credential", path: path, what: "credential")
        }
        return nil
    }

    private func readSecretFile(_ table: TOMLReader, key: String, path: String, what: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            table.fail(key, "cannot read \(what) \(path)")
            return nil
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A wait such as `30s`, `5m`, `2h` or `1d`.
    static func wait(parsing text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let unit = trimmed.last, let number = Int(trimmed.dropLast()), number >= 0 else { return nil }
        switch unit {
        case "s": return .seconds(number)
        case "m": return .seconds(number * 60)
        case "h": return .seconds(number * 3600)
        case "d": return .seconds(number * 86_400)
        default: return nil
        }
    }

    // MARK: - Unsubscribe

    private func readUnsubscribe(_ table: TOMLReader) -> UnsubscribeSettings? {
        // Every key is checked even when an earlier one is wrong, so one run shows every error.
        var baseURL: String?
        if let base = table.string("base_url") {
            if let url = URL(string: base), let scheme = url.scheme?.lowercased(), ["https", "http"].contains(scheme),
                url.host != nil, url.query == nil, url.fragment == nil
            {
                baseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
            } else {
                table.fail("base_url", "'\(base)' is not an http(s) URL without query or fragment")
            }
        } else {
            table.fail(
                "base_url",
                "required: the public address of Rapport's listener, e.g. \"https://mail.example.com/rapport\"")
        }
        var settings = UnsubscribeSettings(baseURL: baseURL ?? "")
        if let mailto = table.string("mailto") {
            if (try? Mailbox(parsing: mailto)) == nil || mailto.contains("<") {
                table.fail("mailto", "'\(mailto)' is not a bare address such as unsubscribe@example.com")
            } else {
                settings.mailto = mailto
            }
        }
        if let days = table.int("valid_days", in: 1...3_650) { settings.validDays = days }
        if let text = secret(
            table, "secret", required: true, purpose: "the secret that signs unsubscribe links (32 characters or more)",
            reads: readsRenderingSecrets)
        {
            if text.utf8.count < 32 {
                let key = ["secret_env", "secret_credential"].first { table.has($0) } ?? "secret_file"
                table.fail(key, "the unsubscribe secret is \(text.utf8.count) bytes; use 32 or more")
            }
            settings.secret = Array(text.utf8)
        }
        return baseURL == nil ? nil : settings
    }

    // MARK: - Policy

    private func readPolicy() -> Policy {
        var policy = Policy()
        if let planning = root.table("planning") {
            if let days = planning.int("horizon_days", in: 1...366) { policy.horizonDays = days }
            if let days = planning.int("promotion_min_interval_days", in: 0...366) {
                policy.promotionMinIntervalDays = days
            }
            if let texts = planning.strings("caps") {
                policy.caps = []
                for text in texts {
                    if let cap = FatigueCap(parsing: text) {
                        policy.caps.append(cap)
                    } else {
                        planning.fail(
                            "caps", "'\(text)' is not a cap such as \"2 per 7 days\" or \"1 promotion per 30 days\"")
                    }
                }
            }
            if let text = planning.string("quiet_hours") {
                let parts = text.split(separator: "-").map {
                    LocalTime(parsing: $0.trimmingCharacters(in: .whitespaces))
                }
                if parts.count == 2, let starts = parts[0], let ends = parts[1], starts != ends {
                    policy.quietHours = QuietHours(starts: starts, ends: ends)
                } else {
                    planning.fail("quiet_hours", "'\(text)' is not a range such as \"20:00-08:00\"")
                }
            }
            if let minutes = planning.int("stagger_minutes", in: 0...720) { policy.staggerMinutes = minutes }
            if let hours = planning.int("render_ahead_hours", in: 1...(366 * 24)) { policy.renderAheadHours = hours }
            planning.finish()
        }
        if let holidays = root.table("holidays") {
            policy.holidays = readHolidays(holidays)
            holidays.finish()
        }
        if let rules = root.table("rules") {
            if let checkin = rules.table("checkin") {
                readCheckin(checkin, into: &policy.checkin)
                checkin.finish()
            }
            if let progress = rules.table("progress") {
                if let enabled = progress.bool("enabled") { policy.progress.enabled = enabled }
                if let name = progress.string("weekday") {
                    if let day = Weekday(name: name) {
                        policy.progress.weekday = day
                    } else {
                        progress.fail("weekday", "'\(name)' is not a day of the week")
                    }
                }
                if let time = progress.time("send_at") { policy.progress.sendAt = time }
                if let schedule = progress.recurrence("schedule") {
                    if schedule.count != nil {
                        progress.fail("schedule", "COUNT has no meaning for a standing schedule; use UNTIL")
                    }
                    policy.progress.schedule = schedule
                }
                if let window = readWindow(progress, sendAt: policy.progress.sendAt) { policy.progress.window = window }
                if let lateness = progress.lateness("max_lateness_hours") { policy.progress.maxLateness = lateness }
                if let channel = progress.oneOf("channel", Channel.self) { policy.progress.channel = channel }
                if let template = progress.string("template") { policy.progress.template = template }
                if let approval = progress.bool("require_approval") { policy.progress.requiresApproval = approval }
                progress.finish()
            }
            rules.finish()
        }
        var names: Set<String> = []
        for table in root.tables("campaigns") {
            guard let name = table.string("name"), !name.isEmpty else {
                table.fail("name", "required")
                continue
            }
            if !names.insert(name).inserted { table.fail("name", "campaign '\(name)' is defined twice") }
            let starts = table.date("starts")
            let ends = table.date("ends")
            if starts == nil { table.fail("starts", "required") }
            if ends == nil { table.fail("ends", "required") }
            guard let starts, let ends else { continue }
            if ends < starts { table.fail("ends", "\(ends) is before starts (\(starts))") }
            var campaign = Campaign(name: name, starts: starts, ends: ends)
            if let tags = table.strings("tags") { campaign.tags = tags }
            if let tiers = table.strings("tiers") { campaign.segment.tiers = tiers.map { $0.lowercased() } }
            campaign.segment.purchasedOnOrAfter = table.date("purchased_after")
            campaign.segment.purchasedBefore = table.date("purchased_before")
            if let rate = table.int("max_per_hour", in: 1...1_000_000) { campaign.maxPerHour = rate }
            if let lateness = table.lateness("max_lateness_hours") { campaign.maxLateness = lateness }
            if let time = table.time("send_at") { campaign.sendAt = time }
            if let window = readWindow(table, sendAt: campaign.sendAt) { campaign.window = window }
            if let channel = table.oneOf("channel", Channel.self) { campaign.channel = channel }
            if let template = table.string("template") { campaign.template = template }
            if let approval = table.bool("require_approval") { campaign.requiresApproval = approval }
            table.finish()
            policy.campaigns.append(campaign)
        }
        return policy
    }

    private func readCheckin(_ table: TOMLReader, into rule: inout CheckinRule) {
        if let enabled = table.bool("enabled") { rule.enabled = enabled }
        if let tiers = table.table("every_days") {
            rule.everyByTier = Dictionary(
                tiers.allInts(in: 1...366).map { ($0.key.lowercased(), Cadence.days($0.value)) },
                uniquingKeysWith: { first, _ in first })
            tiers.finish()
        }
        if let tiers = table.table("every") {
            for key in tiers.keys {
                if let cadence = tiers.cadence(key) { rule.everyByTier[key.lowercased()] = cadence }
            }
            tiers.finish()
        }
        if let days = table.int("default_every_days", in: 1...366) { rule.defaultEvery = .days(days) }
        if let cadence = table.cadence("default_every") { rule.defaultEvery = cadence }
        if let lateness = table.lateness("max_lateness_hours") { rule.maxLateness = lateness }
        if let time = table.time("send_at") { rule.sendAt = time }
        if let window = readWindow(table, sendAt: rule.sendAt) { rule.window = window }
        if let channel = table.oneOf("channel", Channel.self) { rule.channel = channel }
        if let template = table.string("template") { rule.template = template }
        if let approval = table.bool("require_approval") { rule.requiresApproval = approval }
    }

    /// `default_region`, and `[holidays.regions]` with a list of dates or an `.ics` file per region.
    private func readHolidays(_ table: TOMLReader) -> HolidayCalendar {
        var calendar = HolidayCalendar()
        calendar.defaultRegion = table.string("default_region")?.lowercased()
        if let regions = table.table("regions") {
            for region in regions.keys {
                if regions.isArray(region) {
                    if let dates = regions.dates(region) { calendar.regions[region.lowercased()] = Set(dates) }
                } else if let file = regions.string(region) {
                    let path = resolve(file)
                    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                        regions.fail(region, "cannot read the calendar file \(path)")
                        continue
                    }
                    do {
                        calendar.regions[region.lowercased(), default: []].formUnion(try ICSHolidays.dates(in: text))
                    } catch {
                        regions.fail(region, "\(path): \(error)")
                    }
                }
            }
            regions.finish()
        }
        if let region = calendar.defaultRegion, calendar.regions[region] == nil {
            table.fail("default_region", "no region '\(region)' in [holidays.regions]")
        }
        return calendar
    }

    /// `days = ["mon", …]` and `hours = "09:00-17:00"`; `send_at` must fall inside them.
    private func readWindow(_ table: TOMLReader, sendAt: LocalTime) -> SendingWindow? {
        var window = SendingWindow.businessHours
        var changed = false
        if let names = table.strings("days") {
            var days: Set<Weekday> = []
            for name in names {
                if let day = Weekday(name: name) {
                    days.insert(day)
                } else {
                    table.fail("days", "'\(name)' is not a day of the week")
                }
            }
            if days.isEmpty { table.fail("days", "at least one day is needed") }
            window.days = days
            changed = true
        }
        if let hours = table.string("hours") {
            let parts = hours.split(separator: "-").map { LocalTime(parsing: $0.trimmingCharacters(in: .whitespaces)) }
            if parts.count == 2, let opens = parts[0], let closes = parts[1], opens < closes {
                window.opens = opens
                window.closes = closes
                changed = true
            } else {
                table.fail("hours", "'\(hours)' is not a range such as \"09:00-17:00\"")
            }
        }
        if sendAt < window.opens || sendAt >= window.closes {
            table.fail("send_at", "\(sendAt) is outside the sending hours \(window.opens)-\(window.closes)")
        }
        return changed ? window : nil
    }
}
