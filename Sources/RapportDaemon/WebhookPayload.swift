import Foundation
import RapportCore
import RapportStore

/// The contact fields carried in a webhook message, as they were when it was rendered.
public struct ContactPayload: Codable, Sendable, Hashable {
    public struct Manager: Codable, Sendable, Hashable {
        public var name: String
        public var email: String?

        public init(name: String, email: String?) {
            self.name = name
            self.email = email
        }
    }

    public var id: String
    public var name: String
    public var email: String?
    public var kind: String
    public var timezone: String
    public var tier: String?
    public var tags: [String]
    public var accountManager: Manager?
    /// The contact's language (`fr`, `pt-br`), when the data gives one.
    public var language: String?

    enum CodingKeys: String, CodingKey {
        case id, name, email, kind, timezone, tier, tags, language
        case accountManager = "account_manager"
    }

    public init(
        id: String, name: String, email: String?, kind: String, timezone: String, tier: String?, tags: [String],
        accountManager: Manager?, language: String? = nil
    ) {
        self.language = language
        self.id = id
        self.name = name
        self.email = email
        self.kind = kind
        self.timezone = timezone
        self.tier = tier
        self.tags = tags
        self.accountManager = accountManager
    }

    init(_ contact: Contact) {
        id = contact.id
        name = contact.name
        email = contact.email
        kind = contact.kind.rawValue
        timezone = contact.timeZone.identifier
        tier = contact.tier
        tags = contact.tags
        accountManager = contact.accountManager.map { Manager(name: $0.name, email: $0.email) }
        language = contact.preferences.language
    }
}

/// The JSON body of a webhook message, in the Standard Webhooks shape `{type, timestamp, data}`.
///
/// Built from the stored row at send time, never by pasting text into JSON: ``body(for:sentAt:)``
/// writes every value escaped, and takes the stored contact JSON only once it has read it as a
/// contact's. The `Codable` form is the reference it is tested against.
public struct WebhookMessage: Codable, Sendable {
    public struct Body: Codable, Sendable {
        public var id: String
        public var rule: String
        public var kind: String
        public var contact: ContactPayload
        public var subject: String
        public var text: String
        public var html: String?
        public var dueAt: Date
        public var sentAt: Date
        /// The one-click unsubscribe link of a promotion (POST to it to opt out).
        public var unsubscribeURL: String?

        enum CodingKeys: String, CodingKey {
            case id, rule, kind, contact, subject, text, html
            case dueAt = "due_at"
            case sentAt = "sent_at"
            case unsubscribeURL = "unsubscribe_url"
        }
    }

    public var type: String
    public var timestamp: Date
    public var data: Body

    /// The body for `message`, as it goes out at `sentAt`.
    public init(_ message: StoredMessage, sentAt: Date) {
        let contact =
            (try? JSONDecoder().decode(ContactPayload.self, from: Data(message.content.contactJSON.utf8)))
            ?? ContactPayload(
                id: message.contactID, name: message.content.recipientName ?? "",
                email: message.content.recipientAddress, kind: message.contactKind.rawValue, timezone: "UTC", tier: nil,
                tags: [], accountManager: nil)
        type = "message.\(message.rule.kind.rawValue)"
        timestamp = sentAt
        data = Body(
            id: message.id, rule: message.rule.description, kind: message.contactKind.rawValue, contact: contact,
            subject: message.content.subject, text: message.content.text, html: message.content.html,
            dueAt: message.dueAt, sentAt: sentAt, unsubscribeURL: message.content.unsubscribeURL)
    }

    /// The body sent for `message` at `sentAt`: the document ``encoded()`` makes of
    /// `WebhookMessage(message, sentAt:)`, written directly. The contact's stored JSON goes in
    /// as stored when it is a contact's (a `JSONDecoder` round trip per send cost more than
    /// signing it).
    public static func body(for message: StoredMessage, sentAt: Date) -> [UInt8] {
        let stored = Array(message.content.contactJSON.utf8)
        let contact: [UInt8]
        if case .object(let fields)? = RawValue(json: stored), case .string? = fields["id"],
            case .string? = fields["name"], case .string? = fields["kind"], case .string? = fields["timezone"],
            case .array? = fields["tags"]
        {
            contact = stored
        } else {
            contact = Array(Self(message, sentAt: sentAt).data.contact.json.utf8)
        }
        var data = JSONObjectWriter()
        data.field("contact", json: contact)
        data.field("due_at", date: message.dueAt)
        data.field("html", message.content.html)
        data.field("id", message.id)
        data.field("kind", message.contactKind.rawValue)
        data.field("rule", message.rule.description)
        data.field("sent_at", date: sentAt)
        data.field("subject", message.content.subject)
        data.field("text", message.content.text)
        data.field("unsubscribe_url", message.content.unsubscribeURL)
        var body = JSONObjectWriter()
        body.field("data", object: data)
        body.field("timestamp", date: sentAt)
        body.field("type", "message.\(message.rule.kind.rawValue)")
        return body.utf8
    }

    /// The exact bytes sent: sorted keys, ISO 8601 dates.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return Array((try? encoder.encode(self)) ?? Data())
    }
}
