import Foundation

/// The lifecycle events a webhook consumer can subscribe to (`[events] types`).
public enum LifecycleEventType: String, Sendable, Hashable, CaseIterable, Codable {
    /// A message was planned (scheduled, or waiting for approval).
    case messageScheduled = "message.scheduled"
    /// A message was delivered.
    case messageSent = "message.sent"
    /// A message failed for good (a permanent answer, or the last retry).
    case messageFailed = "message.failed"
    /// A message was held, by an operator or because its endpoint is gone.
    case messageHeld = "message.held"
    /// An address went on the suppression list.
    case contactSuppressed = "contact.suppressed"
}

/// A queued lifecycle event, as the publisher sends it.
public struct PendingEvent: Sendable, Hashable {
    /// The stable `webhook-id` (`evt_…`).
    public var id: String
    public var type: String
    /// The JSON body, fixed when the event happened.
    public var body: String
    /// Attempts so far, this one included.
    public var attempts: Int

    public init(id: String, type: String, body: String, attempts: Int) {
        self.id = id
        self.type = type
        self.body = body
        self.attempts = attempts
    }
}

/// Lifecycle events written in the same transaction as the change they describe (a
/// transactional outbox), then delivered with the messages' signing and retry machinery.
public protocol EventStore: Sendable {
    /// Replaces the subscribed types; events of other types are not queued from now on.
    func subscribe(to types: Set<LifecycleEventType>) throws(StoreError)
    func subscriptions() throws(StoreError) -> Set<LifecycleEventType>
    /// Claims up to `limit` due events with a lease, oldest first.
    func claimEvents(now: Date, limit: Int, owner: String, leaseSeconds: Double) throws(StoreError) -> [PendingEvent]
    /// Records how an event's delivery ended: sent, retried at a time, or failed.
    func recordEvent(_ outcome: DeliveryOutcome, for id: String, owner: String, at date: Date) throws(StoreError)
    /// Events by state (`pending`, `sending`, `sent`, `failed`).
    func eventCounts() throws(StoreError) -> [String: Int]
}
