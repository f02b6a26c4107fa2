import Foundation
import Logging
import RapportCore
import RapportDaemon
import RapportDelivery
import RapportStore
import Testing

@Suite struct RenderingTests {
    func engine(_ sandbox: Sandbox, _ extra: String = "") throws -> Engine {
        sandbox.write("contacts.json", sampleContacts)
        let configuration = try sandbox.load(sandbox.config(extra))
        let store = try Outbox(sqlitePath: configuration.storePath)
        return Engine(
            configuration: configuration, store: store, renderer: try Renderer(configuration: configuration),
            transports: try Transports(configuration: configuration), logger: Logger(label: "test"))
    }

    @Test func theBundledTemplatesValidateAndRenderPlainTextUnescaped() throws {
        let sandbox = Sandbox()
        let engine = try engine(sandbox)
        try engine.reloadDataIfChanged()
        let report = try engine.plan(now: try Date("2026-11-23T12:00:00Z", strategy: .iso8601))
        #expect(report.renderErrors.isEmpty)
        let checkin = try #require(
            try engine.store.messages(matching: MessageFilter(contactID: "c1")).first { $0.rule == .checkin })
        #expect(checkin.content.subject == "Checking in, Ada")
        // Plain text keeps "<" and "&"; HTML escapes them.
        #expect(checkin.content.text.contains("Mary <Somerville> & Co"))
        #expect(checkin.content.html?.contains("Mary &lt;Somerville&gt; &amp; Co") == true)
        #expect(checkin.content.text.contains("Pension review: 40% complete"))
        #expect(checkin.content.replyTo == "\"Mary <Somerville> & Co\" <mary@firm.example>")
        #expect(checkin.content.recipientAddress == "ada@example.com")
    }

    @Test func templateMistakesAreFoundAtStartWithFileAndLine() throws {
        let sandbox = Sandbox()
        sandbox.write("t/client-checkin.subject.mustache", "Hi {{contact.first_name}}")
        sandbox.write(
            "t/client-checkin.text.mustache",
            "Dear {{contact.nmae}},\n{{#projects}}{{name}} {{bogus}}{{/projects}}\n{{> partials/nope}}")
        sandbox.write("t/progress-report.subject.mustache", "{{project.name}}")
        sandbox.write("t/progress-report.text.mustache", "{{project.progress}} {{manager.name}}")
        let configuration = try sandbox.load(
            sandbox.config(
                templates: "t",
                "[[campaigns]]\nname = \"s\"\nstarts = 2026-12-01\nends = 2026-12-02\ntemplate = \"promo\""))
        #expect {
            _ = try Renderer(configuration: configuration)
        } throws: { error in
            let lines = (error as? TemplateErrors)?.errors.map(\.description) ?? []
            let file = sandbox.path("t/client-checkin.text.mustache")
            return lines.contains("\(file):1: unknown variable 'contact.nmae'")
                && lines.contains("\(file):2: unknown variable 'bogus'")
                && lines.contains("\(file):3: unknown partial 'partials/nope'")
                && lines.contains {
                    $0.hasSuffix(
                        "rapport.toml: campaigns[0].template: unknown template 'promo' (no promo.subject.mustache and promo.text.mustache in \(sandbox.path("t")))"
                    )
                }
                && lines.count == 4
        }
    }

    @Test func aMissingTemplatesFolderIsAnError() throws {
        let sandbox = Sandbox()
        let configuration = try sandbox.load(sandbox.config(templates: "nowhere"))
        #expect(throws: TemplateErrors.self) { try Renderer(configuration: configuration) }
    }

    /// A check-in planned for the webhook channel from the sample data.
    func plannedWebhookMessage() throws -> StoredMessage {
        let sandbox = Sandbox()
        let engine = try engine(sandbox, "[rules.checkin]\nchannel = \"webhook\"")
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: try Date("2026-11-23T12:00:00Z", strategy: .iso8601))
        return try withExtendedLifetime(sandbox) {
            try #require(try engine.store.messages(matching: MessageFilter(channel: .webhook)).first)
        }
    }

    @Test func webhookBodiesAreCodableJSONWithTheContact() throws {
        let message = try plannedWebhookMessage()
        let sentAt = try Date("2026-11-24T10:00:00Z", strategy: .iso8601)
        let body = WebhookMessage.body(for: message, sentAt: sentAt)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(json["type"] as? String == "message.checkin")
        let data = try #require(json["data"] as? [String: Any])
        #expect(data["id"] as? String == message.id)
        #expect(data["sent_at"] as? String == "2026-11-24T10:00:00Z")
        #expect((data["contact"] as? [String: Any])?["timezone"] as? String == "Europe/London")
        #expect((data["subject"] as? String) == message.content.subject)
    }

    /// The body written directly is the document `JSONEncoder` makes of `WebhookMessage`: with
    /// and without HTML and an unsubscribe link, text that needs escaping, a fractional send
    /// time, an account manager, and contact JSON that is not a contact's (erased: `{}`).
    @Test func webhookBodiesWrittenDirectlyMatchTheCodableDocument() throws {
        let planned = try plannedWebhookMessage()
        var variants: [StoredMessage] = [planned]
        var escaped = planned
        escaped.content.subject = "Quotes \" back\\slash / slash \u{01} tab\t é 中 😀"
        escaped.content.text = "line\nbreak\r\n\u{08}\u{0C}"
        escaped.content.html = nil
        escaped.content.unsubscribeURL = "https://mail.example.com/r/unsubscribe/v1.abc"
        variants.append(escaped)
        var managed = planned
        managed.content.contactJSON =
            ContactPayload(
                id: "c\"1", name: "Ada \\ Lovelace", email: nil, kind: "client", timezone: "Europe/Paris", tier: "gold",
                tags: ["a", "b/c"], accountManager: .init(name: "Grace", email: "grace@example.com"), language: "fr"
            ).json
        variants.append(managed)
        var erased = planned
        erased.content.contactJSON = "{}"
        variants.append(erased)
        var notJSON = planned
        notJSON.content.contactJSON = "not json"
        variants.append(notJSON)
        for message in variants {
            for sentAt in [
                try Date("2026-11-24T10:00:00Z", strategy: .iso8601), Date(timeIntervalSince1970: 1_795_000_000.987),
            ] {
                let direct = WebhookMessage.body(for: message, sentAt: sentAt)
                let codable = WebhookMessage(message, sentAt: sentAt).encoded()
                let a = try #require(try JSONSerialization.jsonObject(with: Data(direct)) as? NSDictionary)
                let b = try #require(try JSONSerialization.jsonObject(with: Data(codable)) as? NSDictionary)
                #expect(
                    a == b, "\(String(decoding: direct, as: UTF8.self))\n\(String(decoding: codable, as: UTF8.self))")
            }
        }
    }
}

@Suite struct UnsubscribeLinkRenderingTests {
    @Test func aPromotionCarriesItsLinkInHeadersTemplateAndWebhookJSON() throws {
        let sandbox = Sandbox()
        sandbox.write("contacts.json", sampleContacts)
        let secret = "an-unsubscribe-secret-of-forty-two-bytes!!"
        let configuration = try sandbox.load(
            sandbox.config(
                """
                [unsubscribe]
                base_url = "https://mail.example.com/r"
                mailto = "unsubscribe@example.com"
                secret_env = "SECRET"
                [[campaigns]]
                name = "sale"
                starts = 2026-11-23
                ends = 2026-12-10
                require_approval = false
                """), environment: ["SECRET": secret])
        let engine = Engine(
            configuration: configuration, store: try Outbox(sqlitePath: configuration.storePath),
            renderer: try Renderer(configuration: configuration),
            transports: try Transports(configuration: configuration), logger: Logger(label: "test"))
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: try Date("2026-11-23T12:00:00Z", strategy: .iso8601))
        let messages = try engine.store.messages(matching: MessageFilter())
        let promotion = try #require(messages.first { $0.rule.kind == .promotion }, "\(messages.map(\.rule))")
        let url = try #require(promotion.content.unsubscribeURL)
        #expect(url.hasPrefix("https://mail.example.com/r/unsubscribe/v1."))
        #expect(promotion.content.text.contains(url), "the bundled promotion template shows the link")
        let token = try UnsubscribeToken(
            verifying: String(url.split(separator: "/").last!), secret: Array(secret.utf8), now: promotion.dueAt)
        #expect(token.contactID == "k1")
        let envelope = try Engine.envelope(
            for: promotion, at: promotion.dueAt, unsubscribeMailto: "unsubscribe@example.com")
        let headers = Dictionary(envelope.extraHeaders.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        #expect(headers["List-Unsubscribe"] == "<\(url)>, <mailto:unsubscribe@example.com?subject=unsubscribe>")
        #expect(headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
        let body = WebhookMessage(promotion, sentAt: promotion.dueAt).encoded()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect((json["data"] as? [String: Any])?["unsubscribe_url"] as? String == url)
        // Client messages carry none.
        let checkin = try #require(messages.first { $0.rule == .checkin })
        #expect(checkin.content.unsubscribeURL == nil)
        #expect(!checkin.content.text.contains("unsubscribe/"))
    }
}

@Suite struct LanguageTemplateTests {
    /// The bundled templates plus `extra` files, in the sandbox's `t/`.
    func templates(_ sandbox: Sandbox, _ extra: [String: String]) throws {
        try FileManager.default.copyItem(atPath: Sandbox.templates, toPath: sandbox.path("t"))
        for (name, text) in extra { sandbox.write("t/\(name)", text) }
    }

    @Test func aContactsLanguagePicksTheVariantWithFallback() throws {
        let sandbox = Sandbox()
        try templates(
            sandbox,
            [
                "client-checkin.pt.subject.mustache": "Olá, {{contact.first_name}}",
                "client-checkin.pt.text.mustache": "Caro {{contact.first_name}} ({{contact.language}})",
            ])
        let people = [("c1", "pt-BR"), ("c2", "de"), ("c3", nil)].map { id, language in
            """
            {"id": "\(id)", "name": "Person \(id)", "email": "\(id)@example.com", "kind": "client", \
            "timezone": "UTC", "last_contact_at": "2026-01-01T10:00:00Z"\
            \(language.map { ", \"language\": \"\($0)\"" } ?? "")}
            """
        }
        sandbox.write("contacts.json", "[\(people.joined(separator: ",\n"))]")
        let configuration = try sandbox.load(sandbox.config(templates: "t", "[rules.progress]\nenabled = false"))
        let engine = Engine(
            configuration: configuration, store: try Outbox(sqlitePath: configuration.storePath),
            renderer: try Renderer(configuration: configuration),
            transports: try Transports(configuration: configuration), logger: Logger(label: "test"))
        try engine.reloadDataIfChanged()
        let report = try engine.plan(now: try Date("2026-11-23T12:00:00Z", strategy: .iso8601))
        #expect(report.renderErrors.isEmpty, "\(report.renderErrors)")
        let subjects = Dictionary(
            try engine.store.messages(matching: MessageFilter()).map { ($0.contactID, $0.content.subject) },
            uniquingKeysWith: { a, _ in a })
        #expect(subjects["c1"] == "Olá, Person", "pt-BR falls back to pt: \(subjects)")
        #expect(subjects["c2"] == "Checking in, Person", "no German variant: the default \(subjects)")
        #expect(subjects["c3"] == "Checking in, Person", "\(subjects)")
        let portuguese = try #require(
            try engine.store.messages(matching: MessageFilter(contactID: "c1")).first)
        #expect(portuguese.content.text == "Caro Person (pt-br)")
        #expect(portuguese.content.html == nil, "the variant has no HTML part, and the default's is not used")
    }

    @Test func aVariantNeedsItsSubjectAndText() throws {
        let sandbox = Sandbox()
        try templates(sandbox, ["promotion.fr.subject.mustache": "Pour vous, {{contact.first_name}}"])
        let configuration = try sandbox.load(sandbox.config(templates: "t"))
        #expect {
            _ = try Renderer(configuration: configuration)
        } throws: { error in
            let lines = (error as? TemplateErrors)?.errors.map(\.description) ?? []
            return lines == ["\(sandbox.path("t/promotion.fr.text.mustache")): template 'promotion.fr' needs this file"]
        }
    }
}
