import Foundation
import RapportCore
import RapportDaemon
import RapportDelivery
import Testing

@Suite struct ConfigurationTests {
    @Test func readsEverySectionAndResolvesPathsAgainstTheFile() throws {
        let sandbox = Sandbox()
        sandbox.write("secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")
        let configuration = try sandbox.load(
            sandbox.config(
                """
                [daemon]
                tick_seconds = 5
                max_attempts = 3
                [planning]
                horizon_days = 14
                [rules.checkin]
                every_days = { Gold = 5, silver = 10 }
                send_at = "11:30"
                days = ["mon", "wed"]
                [rules.progress]
                weekday = "friday"
                [[campaigns]]
                name = "sale"
                starts = 2026-12-01
                ends = "2026-12-10"
                tags = ["news"]
                """
            ).replacingOccurrences(
                of: "[webhook]\ntransport = \"maildir\"\nmaildir = \"state/hooks\"",
                with: "[webhook]\ntransport = \"http\"\nurl = \"http://127.0.0.1:9/hook\"\nsecret_file = \"secret\""))
        #expect(configuration.dataPath == sandbox.path("contacts.json"))
        #expect(configuration.storePath == sandbox.path("state/outbox.sqlite"))
        #expect(configuration.sender == Mailbox(name: "Firm", address: "firm@example.com"))
        #expect(configuration.tickInterval == .seconds(5))
        #expect(configuration.retry.maxAttempts == 3)
        #expect(configuration.policy.horizonDays == 14)
        #expect(configuration.policy.checkin.everyByTier["gold"] == .days(5))
        #expect(configuration.policy.checkin.everyByTier["bronze"] == nil)
        #expect(configuration.policy.checkin.defaultEvery == .days(30))
        #expect(configuration.policy.checkin.sendAt == LocalTime(hour: 11, minute: 30))
        #expect(configuration.policy.checkin.window.days == [.monday, .wednesday])
        #expect(configuration.policy.progress.weekday == .friday)
        #expect(configuration.policy.campaigns.first?.ends == LocalDate(year: 2026, month: 12, day: 10))
        guard case .http(let webhook) = configuration.webhook else {
            Issue.record("webhook transport should be http")
            return
        }
        #expect(webhook.secrets.count == 1)
    }

    @Test func unknownKeysAndBadValuesAreErrorsNamingTheKey() {
        let sandbox = Sandbox()
        let found = sandbox.errors(
            sandbox.config(
                """
                [daemon]
                tick_secs = 5
                batch_size = 0
                [rules.checkin]
                send_at = "25:00"
                channel = "fax"
                [[campaigns]]
                name = "x"
                starts = 2026-12-10
                ends = 2026-12-01
                """))
        #expect(found.contains { $0.hasSuffix("rapport.toml: daemon.tick_secs: unknown key") })
        #expect(found.contains { $0.contains("daemon.batch_size: 0 is out of range") })
        #expect(found.contains { $0.contains("rules.checkin.send_at: '25:00' is not a time of day") })
        #expect(found.contains { $0.contains("rules.checkin.channel: 'fax' is not one of \"email\", \"webhook\"") })
        #expect(found.contains { $0.contains("campaigns[0].ends: 2026-12-01 is before starts (2026-12-10)") })
    }

    @Test func secretsComeFromFilesOrTheEnvironmentNeverInline() {
        let sandbox = Sandbox()
        let smtp = { (secret: String) in
            sandbox.config().replacingOccurrences(
                of: "[email]\ntransport = \"maildir\"\nmaildir = \"state/mail\"",
                with: "[email]\ntransport = \"smtp\"\nurl = \"smtp://127.0.0.1:2525\"\nusername = \"u\"\n\(secret)")
        }
        #expect(
            sandbox.errors(smtp("password = \"hunter2\"")).contains {
                $0.contains("email.password: inline secrets are not accepted")
            })
        #expect(
            sandbox.errors(smtp("password_file = \"missing\"")).contains {
                $0.contains("email.password_file: cannot read secret file")
            })
        #expect(
            sandbox.errors(smtp("password_env = \"RAPPORT_PW\"")).contains {
                $0.contains("email.password_env: environment variable RAPPORT_PW is not set")
            })
        #expect(sandbox.errors(smtp("password_env = \"RAPPORT_PW\""), environment: ["RAPPORT_PW": "x"]).isEmpty)
    }

    /// A PostgreSQL store's password comes from a file, a variable or a credential into the
    /// URL; the URL's own form and TLS parameters are checked before anything connects.
    @Test func aPostgresStoreTakesItsPasswordAndTLSFromTheConfiguration() throws {
        let sandbox = Sandbox()
        let store = { (lines: String) in
            sandbox.config().replacingOccurrences(of: "path = \"state/outbox.sqlite\"", with: lines)
        }
        sandbox.write("db-password", "p@ss:w/rd\n")
        let loaded = try sandbox.load(
            store(
                """
                url = "postgres://rapport@db.internal:6432/rapport?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem"
                password_file = "db-password"
                """))
        let url = try #require(loaded.storeURL.flatMap(URLComponents.init(string:)))
        #expect(url.password == "p@ss:w/rd")
        #expect(url.host == "db.internal" && url.port == 6432 && url.path == "/rapport")
        #expect(url.queryItems?.first { $0.name == "sslmode" }?.value == "verify-full")
        #expect(!loaded.storeDisplayName.contains("p@ss"), "\(loaded.storeDisplayName)")

        let refused: [(store: String, error: String)] = [
            ("url = \"postgres://u:inline@h/db\"\npassword_env = \"PW\"", "store.password_file: the url already holds"),
            ("path = \"x.sqlite\"\npassword_env = \"PW\"", "store.password_file: a password is for a PostgreSQL store"),
            ("url = \"postgres://u@h/db\"\npassword = \"hunter2\"", "store.password: inline secrets are not accepted"),
            (
                "url = \"postgres://u@h/db?sslmode=always\"",
                "store.url: sslmode 'always' is not one of disable, prefer, require, verify-ca, verify-full"
            ),
            (
                "url = \"postgres://u@h/db?sslmode=require&sslrootcert=ca.pem\"",
                "store.url: sslrootcert needs sslmode=verify-ca or verify-full"
            ),
            ("url = \"postgres://u@h/db?connect_timeout=5\"", "store.url: unknown URL parameter 'connect_timeout'"),
        ]
        for (lines, error) in refused {
            let found = sandbox.errors(store(lines), environment: ["PW": "x"])
            #expect(found.contains { $0.contains(error) }, "\(lines): \(found)")
        }
    }

    @Test func syntaxErrorsNameTheLine() {
        let sandbox = Sandbox()
        let found = sandbox.errors("[data]\npath = \"x.json\"\n[store\n")
        #expect(found.count == 1)
        #expect(found.first?.contains("rapport.toml:3") == true)
    }

    @Test func theConfigurationIsFoundInTheDocumentedOrder() {
        #expect(Configuration.locate(explicit: "a.toml", environment: ["RAPPORT_CONFIG": "b.toml"]) == "a.toml")
        #expect(Configuration.locate(explicit: nil, environment: ["RAPPORT_CONFIG": "b.toml"]) == "b.toml")
    }
}

@Suite struct ConsentConfigurationTests {
    let sandbox = Sandbox()
    let secret = "an-unsubscribe-secret-of-forty-two-bytes!!"

    @Test func unsubscribeLinksAreSignedWithTheConfiguredSecret() throws {
        let configuration = try sandbox.load(
            sandbox.config(
                """
                [unsubscribe]
                base_url = "https://mail.example.com/rapport/"
                mailto = "unsubscribe@example.com"
                valid_days = 10
                secret_env = "UNSUBSCRIBE_SECRET"
                """
            ).replacingOccurrences(
                of: "path = \"state/outbox.sqlite\"", with: "path = \"state/outbox.sqlite\"\nretention_days = 30"),
            environment: ["UNSUBSCRIBE_SECRET": secret])
        let unsubscribe = try #require(configuration.unsubscribe)
        #expect(configuration.retention == .seconds(30 * 86_400))
        #expect(unsubscribe.baseURL == "https://mail.example.com/rapport")
        let due = Date(timeIntervalSince1970: 1_800_000_000)
        let url = try #require(unsubscribe.url(contactID: "c-101", dueAt: due))
        #expect(url.hasPrefix("https://mail.example.com/rapport/unsubscribe/v1."))
        let token = try UnsubscribeToken(
            verifying: String(url.split(separator: "/").last ?? ""), secret: Array(secret.utf8), now: due)
        #expect(token.contactID == "c-101")
        #expect(token.expires == due.addingTimeInterval(10 * 86_400))
        #expect(
            unsubscribe.listUnsubscribe(url: url)
                == "<\(url)>, <mailto:unsubscribe@example.com?subject=unsubscribe>")
    }

    @Test func badConsentSettingsAreErrorsNamingTheKey() {
        let found = sandbox.errors(
            sandbox.config(
                """
                [unsubscribe]
                base_url = "ftp://example.com/x?y"
                mailto = "Unsubscribe <u@example.com>"
                valid_days = 0
                secret_env = "SHORT"
                linger = true
                """), environment: ["SHORT": "too-short"])
        #expect(found.contains { $0.contains("unsubscribe.base_url: 'ftp://example.com/x?y' is not an http(s) URL") })
        #expect(
            found.contains { $0.contains("unsubscribe.mailto: 'Unsubscribe <u@example.com>' is not a bare address") })
        #expect(found.contains { $0.contains("unsubscribe.valid_days: 0 is out of range") })
        #expect(
            found.contains { $0.contains("unsubscribe.secret_env: the unsubscribe secret is 9 bytes; use 32 or more") })
        #expect(found.contains { $0.contains("unsubscribe.linger: unknown key") })
        #expect(
            sandbox.errors(sandbox.config("[unsubscribe]\nbase_url = \"https://example.com\"")).contains {
                $0.contains("unsubscribe.secret")
            })
    }
}
