import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by the base64 key.
public struct WebhookSecret: Sendable, Hashable {
    /// The decoded key bytes.
    let key: [UInt8]

    /// Parses `whsec_<base64>`.
    ///
    /// - Throws: ``DeliveryConfigurationError`` when the prefix is missing or the rest is not non-empty base64.
    ///   (The specification recommends keys of 24 to 64 bytes; shorter keys are accepted.)
    public init(_ text: String) throws(DeliveryConfigurationError) {
        let prefix = "whsec_"
        guard text.hasPrefix(prefix) else {
            throw DeliveryConfigurationError("webhook secret must start with \(prefix)")
        }
        guard let data = Data(base64Encoded: String(text.dropFirst(prefix.count))), !data.isEmpty else {
            throw DeliveryConfigurationError("webhook secret after \(prefix) must be non-empty base64")
        }
        key = Array(data)
    }
}
