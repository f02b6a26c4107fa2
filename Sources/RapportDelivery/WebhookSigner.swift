import Crypto

/// Signs webhook bodies per the Standard Webhooks specification (HMAC-SHA256, `v1,<base64>`).
public enum WebhookSigner {
    /// The `webhook-signature` value: one `v1,<base64>` per secret, separated by spaces.
    ///
    /// The signed content is `"<id>.<timestamp>.<body>"`.
    public static func signature(id: String, timestamp: Int, body: [UInt8], secrets: [WebhookSecret]) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        return secrets.map { secret in
            let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: secret.key))
            return "v1," + Base64.encode(Array(mac))
        }.joined(separator: " ")
    }

    /// The three Standard Webhooks headers: `webhook-id`, `webhook-timestamp` and `webhook-signature`.
    public static func headers(
        id: String, timestamp: Int, body: [UInt8], secrets: [WebhookSecret]
    ) -> [(name: String, value: String)] {
        [
            (name: "webhook-id", value: id),
            (name: "webhook-timestamp", value: String(timestamp)),
            (name: "webhook-signature", value: signature(id: id, timestamp: timestamp, body: body, secrets: secrets)),
        ]
    }
}
