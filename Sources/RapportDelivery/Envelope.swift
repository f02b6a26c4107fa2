/// Everything a transport needs to deliver one message.
public struct Envelope: Sendable {
    /// A stable id, e.g. `3f9a1c0b2d4e5f60`: used in `Message-ID` (`<id@domain-of-from>`), as `webhook-id`
    /// and as the maildir file name. Letters, digits, `.`, `_` and `-` only, at most 200 characters.
    public var messageID: String
    /// The sender.
    public var from: Mailbox
    /// The one recipient.
    public var to: Mailbox
    /// Where replies should go, if not to ``from``.
    public var replyTo: Mailbox?
    /// The subject line (any Unicode; encoded as RFC 2047 when needed).
    public var subject: String
    /// The plain-text body.
    public var text: String
    /// The HTML body: `nil` sends `text/plain` only, otherwise `multipart/alternative`.
    public var html: String?
    /// Further headers, e.g. `List-Unsubscribe`. Names may not repeat the headers the renderer writes itself.
    public var extraHeaders: [(name: String, value: String)]
    /// The JSON body for webhooks, already built by the caller; may be empty for email.
    public var webhookBody: [UInt8]

    /// Creates an envelope.
    public init(
        messageID: String,
        from: Mailbox,
        to: Mailbox,
        replyTo: Mailbox? = nil,
        subject: String,
        text: String,
        html: String? = nil,
        extraHeaders: [(name: String, value: String)] = [],
        webhookBody: [UInt8] = []
    ) {
        self.messageID = messageID
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.extraHeaders = extraHeaders
        self.webhookBody = webhookBody
    }
}

extension Envelope {
    /// Checks that ``messageID`` is safe as a Message-ID part, a header value and a file name.
    static func validateMessageID(_ id: String) throws(DeliveryError) {
        guard !id.isEmpty, id.utf8.count <= 200 else {
            throw .invalid("message id must be 1 to 200 characters")
        }
        guard id.utf8.first != UInt8(ascii: "."),
            id.utf8.allSatisfy({ MailboxSyntax.isAlphanumeric($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D })
        else {
            throw .invalid("message id \(String(reflecting: id)) may hold only letters, digits, '.', '_' and '-'")
        }
    }
}
