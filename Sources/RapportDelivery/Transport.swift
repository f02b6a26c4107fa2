import Foundation

/// A way to deliver messages.
///
/// Implementations are classes that own their resources (a curl easy handle, a directory).
/// `deliver` is blocking; call it from a worker thread, not from a cooperative-pool task that must stay responsive.
/// The transports in this module serialise concurrent calls on one instance with a lock, so sharing an instance
/// is safe but gives no parallelism: use one instance per worker thread for that.
public protocol Transport: AnyObject, Sendable {
    /// A short name for logs and metrics: `smtp`, `webhook` or `maildir`.
    var name: String { get }

    /// Delivers one message, blocking until the peer answered or the configured timeout passed.
    ///
    /// - Parameters:
    ///   - envelope: The message.
    ///   - date: The `Date:` header for email and the `webhook-timestamp` for webhooks.
    /// - Returns: The peer's answer.
    /// - Throws: A classified ``DeliveryError``.
    func deliver(_ envelope: Envelope, at date: Date) throws(DeliveryError) -> DeliveryReceipt
}
