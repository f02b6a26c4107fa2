import Foundation
import RapportCore

/// What a message says and to whom, rendered once and stored with its row, so that what an
/// operator reviews is exactly what is sent.
public struct MessageContent: Sendable, Hashable {
    /// `Name <address>` of the sender.
    public var sender: String
    public var recipientName: String?
    /// The recipient's email address; `nil` for a webhook message to a contact without one.
    public var recipientAddress: String?
    /// `Name <address>` replies should go to (the account manager for client messages).
    public var replyTo: String?
    public var subject: String
    public var text: String
    public var html: String?
    /// The contact's fields as they were rendered, as JSON, for the webhook envelope.
    public var contactJSON: String
    /// A digest of everything the content was rendered from; a change triggers a re-render.
    public var sourceHash: String
    /// The one-click unsubscribe link of a promotion (RFC 8058), signed for this contact.
    public var unsubscribeURL: String?

    public init(
        sender: String, recipientName: String?, recipientAddress: String?, replyTo: String?, subject: String,
        text: String, html: String?, contactJSON: String, sourceHash: String, unsubscribeURL: String? = nil
    ) {
        self.unsubscribeURL = unsubscribeURL
        self.sender = sender
        self.recipientName = recipientName
        self.recipientAddress = recipientAddress
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.contactJSON = contactJSON
        self.sourceHash = sourceHash
    }

    /// The content of a message stored before it is rendered: who it is from and to, nothing
    /// else. A message due beyond the engine's render window is rendered on a later plan, from
    /// the data as it is then; until then it is never claimed for sending.
    public static func unrendered(sender: String, recipientName: String?, recipientAddress: String?) -> Self {
        MessageContent(
            sender: sender, recipientName: recipientName, recipientAddress: recipientAddress, replyTo: nil,
            subject: "", text: "", html: nil, contactJSON: "{}", sourceHash: "")
    }

    /// Whether the message has been rendered (an unrendered one has no source digest).
    public var isRendered: Bool { !sourceHash.isEmpty }
}

/// One row of the outbox.
public struct StoredMessage: Sendable, Hashable {
    public var id: String
    public var key: MessageKey
    public var contactKind: ContactKind
    public var channel: Channel
    public var template: String
    public var state: MessageState
    public var dueAt: Date
    /// When a message in `retry_wait` is next tried.
    public var nextAttemptAt: Date?
    public var content: MessageContent
    /// Why the planner planned it (or last re-timed or cancelled it).
    public var reason: String
    public var requiresApproval: Bool
    public var approvedAt: Date?
    public var approvedBy: String?
    /// Delivery attempts started, including one interrupted by a crash.
    public var attempts: Int
    public var lastError: String?
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var sentAt: Date?
    public var closedAt: Date?
    /// Who closed it: `planner`, `dispatcher`, or an operator's name.
    public var closedBy: String?

    public var contactID: String { key.contactID }
    public var rule: RuleID { key.rule }
}

/// One delivery attempt, as recorded after it ended.
public struct DeliveryAttempt: Sendable, Hashable {
    public var messageID: String
    public var startedAt: Date
    public var transport: String
    /// `delivered`, `transient` or `permanent`.
    public var outcome: String
    /// The server's answer or the error, one line.
    public var detail: String
    public var latencyMilliseconds: Int
}

/// One entry of the append-only audit trail: who did what to which message, and when.
public struct AuditEvent: Sendable, Hashable {
    public var at: Date
    /// An operator's name, or `planner` / `dispatcher`.
    public var actor: String
    public var action: String
    public var messageID: String?
    public var fromState: MessageState?
    public var toState: MessageState?
    public var note: String?
    /// The contact concerned, for a message's events and for contact events (kind changes).
    public var contactID: String?

    public init(
        at: Date, actor: String, action: String, messageID: String?, fromState: MessageState?, toState: MessageState?,
        note: String?, contactID: String? = nil
    ) {
        self.at = at
        self.actor = actor
        self.action = action
        self.messageID = messageID
        self.fromState = fromState
        self.toState = toState
        self.note = note
        self.contactID = contactID
    }
}
