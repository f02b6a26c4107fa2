import Crypto
import Foundation

/// How a suppressed email address is keyed: the hex SHA-256 of the trimmed, lower-cased
/// address. Erasure keeps only this hash, so a later import of the same person is still
/// recognised without the store keeping their address.
public enum SuppressedAddress {
    /// The key for `address`.
    public static func hash(_ address: String) -> String {
        let normalized = address.trimmingCharacters(in: .whitespaces).lowercased()
        return hexDigits(SHA256.hash(data: Array(normalized.utf8)))
    }
}
