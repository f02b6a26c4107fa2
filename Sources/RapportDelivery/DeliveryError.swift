/// A failed delivery, classified so the caller knows whether to retry.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    /// Whether a later attempt may succeed.
    public enum Kind: Sendable, Hashable {
        /// Retry later (with backoff): the peer was busy, unreachable or failed temporarily.
        case transient
        /// Do not retry: the peer refused the message, or the message itself is invalid.
        case permanent
    }

    /// Whether a later attempt may succeed.
    public var kind: Kind
    /// One line: the server's answer or curl's error text, e.g. `550 5.1.1 mailbox unavailable (RCPT)`.
    public var detail: String
    /// The delay the peer asked for (from `Retry-After`), where present.
    public var retryAfter: Duration?
    /// The server refused the recipient for good (550, 551 or 553 at RCPT): the address goes on
    /// the suppression list.
    public var recipientRefused: Bool
    /// The webhook endpoint answered 410 Gone: nothing more should be sent to it until an
    /// operator says so.
    public var endpointGone: Bool

    /// Creates a classified delivery error.
    public init(
        kind: Kind, detail: String, retryAfter: Duration? = nil, recipientRefused: Bool = false,
        endpointGone: Bool = false
    ) {
        self.kind = kind
        self.detail = detail
        self.retryAfter = retryAfter
        self.recipientRefused = recipientRefused
        self.endpointGone = endpointGone
    }

    /// A permanent error for a message that cannot be rendered or sent as given.
    static func invalid(_ detail: String) -> DeliveryError {
        DeliveryError(kind: .permanent, detail: "invalid message: \(detail)")
    }

    public var description: String {
        let kindText = kind == .transient ? "transient" : "permanent"
        if let retryAfter {
            return "\(kindText): \(detail) (retry after \(retryAfter))"
        }
        return "\(kindText): \(detail)"
    }
}
