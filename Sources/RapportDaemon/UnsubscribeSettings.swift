import Foundation
import RapportCore

/// `[unsubscribe]`: where one-click unsubscribe links point and how they are signed.
///
/// A promotion carries `<base_url>/unsubscribe/<token>` in its `List-Unsubscribe` header (with
/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, RFC 8058), in its template context
/// (`unsubscribe_url`) and in its webhook JSON. The listener under `[http] listen` answers it.
public struct UnsubscribeSettings: Sendable {
    /// The public address of Rapport's listener as the recipient sees it (behind a reverse
    /// proxy, its public URL), without a trailing slash.
    public var baseURL: String
    /// An address for `mailto:` unsubscribes too (handled by whoever reads that mailbox).
    public var mailto: String?
    /// How long a link stays valid after the message's due time.
    public var validDays = 90
    /// The HMAC key; `nil` when the command did not read secrets.
    public var secret: [UInt8]?

    public init(baseURL: String, mailto: String? = nil, validDays: Int = 90, secret: [UInt8]? = nil) {
        self.baseURL = baseURL
        self.mailto = mailto
        self.validDays = validDays
        self.secret = secret
    }

    /// The link for a message to `contactID` due at `dueAt`, or `nil` without a secret.
    public func url(contactID: String, dueAt: Date) -> String? {
        guard let secret else { return nil }
        let token = UnsubscribeToken(
            contactID: contactID, scope: .promotions, expires: dueAt.addingTimeInterval(Double(validDays) * 86_400))
        return "\(baseURL)/unsubscribe/\(token.signed(with: secret))"
    }

    /// The `List-Unsubscribe` header value: the link, then the `mailto:` if configured.
    public func listUnsubscribe(url: String) -> String {
        var value = "<\(url)>"
        if let mailto { value += ", <mailto:\(mailto)?subject=unsubscribe>" }
        return value
    }
}
