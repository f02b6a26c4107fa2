import Foundation
import Logging
import RapportCore
import RapportDelivery
import RapportStore

/// Sends queued lifecycle events (`message.sent`, `contact.suppressed`, …) to the `[events]`
/// consumer: the body fixed when the event happened, `webhook-id` the event's `evt_…` id,
/// signed and retried like messages (the same `[daemon]` retry schedule); after the last
/// attempt the event is `failed` and logged.
public struct EventPublisher {
    let store: any OperatorStore
    let transport: any Transport
    let owner: String
    let leaseSeconds: Double
    let retry: RetryPolicy
    let sender: Mailbox
    let logger: Logger
    let jitter: @Sendable () -> Double

    /// What one pass did.
    public struct Report: Sendable, Hashable {
        public var sent = 0
        public var retrying = 0
        public var failed = 0
    }

    /// Sends due events in batches until none is due, the budget is spent or a stop is asked.
    func publish(
        now: () -> Date, shouldStop: () -> Bool, deadline: ContinuousClock.Instant?, batchSize: Int,
        maxBatches: Int = 100
    ) throws -> Report {
        var report = Report()
        for _ in 0..<maxBatches {
            if shouldStop() || deadline.map({ ContinuousClock.now >= $0 }) == true { break }
            let batch = try store.claimEvents(
                now: now(), limit: batchSize, owner: owner, leaseSeconds: leaseSeconds)
            if batch.isEmpty { break }
            for event in batch {
                let outcome = deliver(event, now: now())
                switch outcome {
                case .delivered: report.sent += 1
                case .retry: report.retrying += 1
                case .failed, .endpointGone: report.failed += 1
                }
                try store.recordEvent(outcome, for: event.id, owner: owner, at: now())
            }
        }
        return report
    }

    private func deliver(_ event: PendingEvent, now: Date) -> DeliveryOutcome {
        let envelope = Envelope(
            messageID: event.id, from: sender, to: sender, subject: event.type, text: event.body,
            webhookBody: Array(event.body.utf8))
        do {
            let receipt = try transport.deliver(envelope, at: Date())
            logger.debug("event sent", metadata: ["event": "\(event.id)", "type": "\(event.type)"])
            return .delivered(detail: receipt.detail)
        } catch {
            let outcome = DispatchPass.outcome(
                for: error, attempts: event.attempts, retry: retry, jitter: jitter(), now: now)
            switch outcome {
            case .retry:
                logger.warning(
                    "event delivery failed, will retry",
                    metadata: ["event": "\(event.id)", "type": "\(event.type)", "error": "\(error.detail)"])
            default:
                logger.error(
                    "event delivery failed for good",
                    metadata: ["event": "\(event.id)", "type": "\(event.type)", "error": "\(error.detail)"])
            }
            return outcome
        }
    }
}
