import Crypto
import Foundation

/// The token in a one-click unsubscribe link (RFC 8058): who, what, until when, and an HMAC
/// over all three with the server's secret, so it cannot be forged or altered.
///
/// The text form is `v1.<contact>.<scope>.<expiry>.<mac>`: the contact id in unpadded
/// base64url, the scope (`promotions`), the expiry in Unix seconds, and the HMAC-SHA256 of
/// `v1.<contact>.<scope>.<expiry>` in unpadded base64url. Everything is URL-safe, so the token
/// is one path segment.
public struct UnsubscribeToken: Sendable, Hashable {
    /// What the link unsubscribes from.
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        /// Every promotion (the only scope today: operational client messages are not opted out
        /// of by a link in a promotion).
        case promotions
    }

    public var contactID: String
    public var scope: Scope
    public var expires: Date

    public init(contactID: String, scope: Scope = .promotions, expires: Date) {
        self.contactID = contactID
        self.scope = scope
        self.expires = expires
    }

    /// The signed text form, for a URL.
    public func signed(with secret: [UInt8]) -> String {
        let payload = "v1.\(Self.base64url(Array(contactID.utf8))).\(scope.rawValue).\(Self.seconds(expires))"
        return payload + "." + Self.base64url(Self.mac(payload, secret: secret))
    }

    /// Reads and verifies a token: the signature first (in constant time), then the expiry.
    public init(verifying text: String, secret: [UInt8], now: Date) throws(UnsubscribeTokenError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "v1" else { throw .malformed }
        let payload = parts[0..<4].joined(separator: ".")
        guard let given = Self.decodeBase64url(String(parts[4])) else { throw .malformed }
        let key = SymmetricKey(data: secret)
        guard HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Array(payload.utf8), using: key) else {
            throw .forged
        }
        // Signed by us from here on: a malformed field would be our own bug, still refused.
        guard let idBytes = Self.decodeBase64url(String(parts[1])),
            let contactID = String(bytes: idBytes, encoding: .utf8),
            let scope = Scope(rawValue: String(parts[2])),
            let expiry = Int64(parts[3])
        else { throw .malformed }
        let expires = Date(timeIntervalSince1970: TimeInterval(expiry))
        guard expires > now else { throw .expired(expires) }
        self.init(contactID: contactID, scope: scope, expires: expires)
    }

    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }

    static func mac(_ payload: String, secret: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(payload.utf8), using: SymmetricKey(data: secret)))
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64url(_ text: String) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return nil
        }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        // Only the canonical spelling: unused low bits in the last character must be zero, so
        // that no two texts carry the same token.
        guard let bytes = Data(base64Encoded: standard).map(Array.init), base64url(bytes) == text else { return nil }
        return bytes
    }
}

/// Why an unsubscribe token was refused.
public enum UnsubscribeTokenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not a token at all.
    case malformed
    /// The signature does not match: forged, altered, or signed with another secret.
    case forged
    /// Genuine but past its expiry.
    case expired(Date)

    public var description: String {
        switch self {
        case .malformed: "the link is not a valid unsubscribe link"
        case .forged: "the link's signature does not match"
        case .expired(let date): "the link expired on \(date.formatted(.iso8601))"
        }
    }
}
