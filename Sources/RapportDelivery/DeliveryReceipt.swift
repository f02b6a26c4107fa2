/// Proof of a successful delivery.
public struct DeliveryReceipt: Sendable {
    /// The peer's answer, e.g. `250 OK` or `HTTP 204`.
    public var detail: String
    /// How long the delivery took, connection set-up included.
    public var latency: Duration

    /// Creates a receipt.
    public init(detail: String, latency: Duration) {
        self.detail = detail
        self.latency = latency
    }
}
