import Foundation
import Logging
import RapportCore
import RapportDelivery
import RapportStore
import Synchronization

/// Paces one channel's sends across dispatch passes: `rate_per_second` and `rate_per_hour`.
final class Pacer: Sendable {
    let limits: DeliveryLimits
    private let limiter: Mutex<RateLimiter>
    private static let origin = ContinuousClock.now

    init(_ limits: DeliveryLimits) {
        self.limits = limits
        limiter = Mutex(RateLimiter(limits))
    }

    private static var seconds: Double { (ContinuousClock.now - origin).inSeconds }

    /// How many sends may start now.
    func available() -> Int { limiter.withLock { $0.available(at: Self.seconds) } }

    /// Counts `count` sends as started now.
    func take(_ count: Int) { limiter.withLock { $0.take(count, at: Self.seconds) } }

    /// How long until the next send may start.
    func wait() -> Duration {
        let now = Self.seconds
        let next = limiter.withLock { $0.nextStart(after: now) }
        return .milliseconds(Int(((next - now) * 1_000).rounded(.up)))
    }
}

/// One dispatch pass: for each channel, `concurrency` workers (one per transport in its pool,
/// each with its own connection) take due messages as the channel's pace allows and send them.
/// Channels run side by side, so a slow webhook consumer never holds up email, and the pass
/// ends by its deadline: no new send starts after it; claimed messages not yet started go back
/// to the outbox uncounted.
final class DispatchPass: Sendable {
    struct Settings: Sendable {
        var owner: String
        var batchSize: Int
        var leaseSeconds: Double
        var retry: RetryPolicy
        var unsubscribeMailto: String?
        var maxBatches: Int
        /// Sends a worker may make before their outcomes are committed (see ``GroupCommit``).
        var sendsPerCommit = 1
    }

    private struct Tally {
        var report = DispatchReport()
        var health: [String: TransportHealth] = [:]
    }

    /// The messages one channel has claimed and not yet handed to a worker.
    private struct Lane {
        var queue: [StoredMessage] = []
        var next = 0
        var claims = 0
        var exhausted = false
        var error: (any Error)?
    }

    let store: any OperatorStore
    let settings: Settings
    let logger: Logger
    let metrics: RapportMetrics?
    let jitter: @Sendable () -> Double
    let now: @Sendable () -> Date
    let shouldStop: @Sendable () -> Bool
    let deadline: ContinuousClock.Instant?
    private let tally: Mutex<Tally>
    private let commits: GroupCommit
    /// The first failure to record an outcome: no new send starts after it (the store may be
    /// full or read-only, and a send whose outcome cannot be kept would only be repeated).
    private let storeFailure = Mutex<StoreError?>(nil)
    private final class LaneBox: Sendable {
        let state = Mutex(Lane())
    }
    private let lanes: [Channel: LaneBox]

    init(
        store: any OperatorStore, settings: Settings, logger: Logger, metrics: RapportMetrics?,
        health: [String: TransportHealth], jitter: @escaping @Sendable () -> Double,
        now: @escaping @Sendable () -> Date, shouldStop: @escaping @Sendable () -> Bool,
        deadline: ContinuousClock.Instant?
    ) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.jitter = jitter
        self.now = now
        self.shouldStop = shouldStop
        self.deadline = deadline
        tally = Mutex(Tally(health: health))
        commits = GroupCommit(store: store, sendsPerCommit: settings.sendsPerCommit)
        var lanes: [Channel: LaneBox] = [:]
        for channel in Channel.allCases { lanes[channel] = LaneBox() }
        self.lanes = lanes
    }

    /// Runs every channel's workers to the end of the pass.
    /// - Returns: what was sent, and the transports' health afterwards.
    func run(transports: Transports, pacers: [Channel: Pacer]) throws -> (DispatchReport, [String: TransportHealth]) {
        var workers: [Thread] = []
        let done = DispatchSemaphore(value: 0)
        for channel in Channel.allCases {
            guard let pool = transports.pools[channel], let pacer = pacers[channel] else { continue }
            for transport in pool {
                let thread = Thread { [self] in
                    work(channel: channel, transport: transport, pacer: pacer)
                    done.signal()
                }
                thread.name = "rapport.send.\(channel.rawValue)"
                workers.append(thread)
            }
        }
        for worker in workers { worker.start() }
        for _ in workers { done.wait() }
        commits.close()
        if let failure = storeFailure.withLock({ $0 }) {
            // What was claimed and not started stays leased and goes out after the lease
            // expires; nothing is marked sent that was not.
            throw failure
        }
        var stopped = false
        for channel in Channel.allCases {
            guard let lane = lanes[channel] else { continue }
            let (leftover, error) = lane.state.withLock { lane in
                (Array(lane.queue[lane.next...]), lane.error)
            }
            if !leftover.isEmpty {
                stopped = true
                try store.returnUnstarted(leftover.map { $0.id }, owner: settings.owner, at: now())
            }
            if let error { throw error }
        }
        return tally.withLock { tally in
            if stopped { tally.report.interrupted = true }
            return (tally.report, tally.health)
        }
    }

    private var timeIsUp: Bool {
        if shouldStop() { return true }
        if storeFailure.withLock({ $0 != nil }) { return true }
        if let deadline, ContinuousClock.now >= deadline { return true }
        return false
    }

    private func work(channel: Channel, transport: any Transport, pacer: Pacer) {
        // The numbers of this worker's outcomes not yet known to be committed, oldest first.
        var uncommitted: [(number: Int, id: String)] = []
        uncommitted.reserveCapacity(settings.sendsPerCommit)
        func settle(keeping limit: Int) {
            while uncommitted.count > limit {
                let oldest = uncommitted.removeFirst()
                do {
                    try commits.waitUntilCommitted(oldest.number)
                } catch {
                    // The lease expires and the message is sent again with the same id: at
                    // least once.
                    logger.error(
                        "cannot record a delivery; no new send starts",
                        metadata: ["id": "\(oldest.id)", "error": "\(error)"])
                    storeFailure.withLock { $0 = $0 ?? error }
                }
            }
        }
        while !timeIsUp, let message = next(channel, pacer: pacer) {
            let outcome = deliver(message, via: transport)
            uncommitted.append((commits.submit(outcome), message.id))
            settle(keeping: settings.sendsPerCommit - 1)
        }
        settle(keeping: 0)
    }

    /// The channel's next message: from what was claimed, else a new claim of as many as the
    /// pace allows; `nil` when nothing is due, the claims ran out or the pace leaves nothing
    /// before the deadline.
    private func next(_ channel: Channel, pacer: Pacer) -> StoredMessage? {
        lanes[channel]!.state.withLock { lane -> StoredMessage? in
            while true {
                if lane.next < lane.queue.count {
                    defer { lane.next += 1 }
                    return lane.queue[lane.next]
                }
                if lane.exhausted || lane.claims >= settings.maxBatches || timeIsUp { return nil }
                var allowed = pacer.available()
                if allowed == 0 {
                    let wait = pacer.wait()
                    let limit = deadline.map { $0 - ContinuousClock.now } ?? .seconds(5)
                    guard wait <= limit else {
                        lane.exhausted = true
                        return nil
                    }
                    // In slices, so a stop request is heard within 50 ms, not after the wait.
                    let until = ContinuousClock.now + wait
                    while ContinuousClock.now < until {
                        if shouldStop() { return nil }
                        let slice = min(until - ContinuousClock.now, .milliseconds(50))
                        Thread.sleep(forTimeInterval: Double(slice / .microseconds(1)) / 1_000_000)
                    }
                    allowed = pacer.available()
                    if allowed == 0 { continue }
                }
                do {
                    let batch = try store.claimDue(
                        now: now(), limit: min(allowed, settings.batchSize), owner: settings.owner,
                        leaseSeconds: settings.leaseSeconds, channel: channel)
                    lane.claims += 1
                    pacer.take(batch.count)
                    lane.queue = batch
                    lane.next = 0
                    if batch.isEmpty { lane.exhausted = true }
                } catch {
                    lane.error = error
                    lane.exhausted = true
                }
            }
        }
    }

    /// Sends one message and counts its outcome, to be recorded by the caller.
    private func deliver(_ message: StoredMessage, via transport: any Transport) -> RecordedOutcome {
        let now = self.now()
        let started = ContinuousClock.now
        let outcome: DeliveryOutcome
        do {
            let envelope = try Engine.envelope(for: message, at: now, unsubscribeMailto: settings.unsubscribeMailto)
            // The wire carries the real time (the Date header, webhook-timestamp): receivers
            // check it against their own clock. `now` may be simulated (--now).
            let receipt = try transport.deliver(envelope, at: Date())
            outcome = .delivered(detail: receipt.detail)
            metrics?.recordSend(transport: transport.name, failure: nil, duration: ContinuousClock.now - started)
            logger.info(
                "sent",
                metadata: ["id": "\(message.id)", "transport": "\(transport.name)", "answer": "\(receipt.detail)"])
        } catch let error as DeliveryError {
            outcome = Self.outcome(
                for: error, attempts: message.attempts, retry: settings.retry, jitter: jitter(), now: now)
            if error.endpointGone {
                logger.error(
                    "the webhook endpoint is gone (HTTP 410): its messages are held",
                    metadata: [
                        "id": "\(message.id)", "answer": "\(error.detail)",
                        "fix": "correct [webhook] url, then rapport release --all-matching --channel webhook",
                    ])
            }
            if error.recipientRefused, let address = message.content.recipientAddress {
                suppress(address, reason: error.detail, messageID: message.id, now: now)
            }
            metrics?.recordSend(
                transport: transport.name, failure: error.kind == .transient ? .transient : .permanent,
                duration: ContinuousClock.now - started)
            logger.warning(
                "delivery failed",
                metadata: [
                    "id": "\(message.id)", "transport": "\(transport.name)", "error": "\(error.detail)",
                    "attempt": "\(message.attempts)",
                ])
        } catch {
            outcome = .failed(detail: "\(error)")
            metrics?.recordSend(transport: transport.name, failure: .permanent, duration: ContinuousClock.now - started)
            logger.error("message cannot be sent", metadata: ["id": "\(message.id)", "error": "\(error)"])
        }
        count(outcome, transport: transport.name)
        return RecordedOutcome(
            outcome, for: message.id, owner: settings.owner, transport: transport.name, startedAt: now,
            latency: ContinuousClock.now - started, at: now)
    }

    private func count(_ outcome: DeliveryOutcome, transport: String) {
        tally.withLock { tally in
            var health = tally.health[transport] ?? TransportHealth(name: transport)
            switch outcome {
            case .delivered:
                tally.report.sent += 1
                health.lastSuccessAt = Date()
                health.consecutiveFailures = 0
            case .retry(let detail, _):
                tally.report.retrying += 1
                health.lastFailureAt = Date()
                health.consecutiveFailures += 1
                health.lastFailure = detail
            case .failed(let detail), .endpointGone(let detail):
                tally.report.failed += 1
                health.lastFailureAt = Date()
                health.consecutiveFailures += 1
                health.lastFailure = detail
            }
            tally.health[transport] = health
        }
    }

    /// Puts a refused address on the suppression list (open messages to it are cancelled), so
    /// that nothing more is planned to it until an operator clears it.
    private func suppress(_ address: String, reason: String, messageID: String, now: Date) {
        do {
            let cancelled = try store.suppress(
                address: address, keepAddress: true, reason: reason, source: "smtp", actor: "rapport", at: now)
            logger.warning(
                "address suppressed",
                metadata: ["id": "\(messageID)", "reason": "\(reason)", "cancelled": "\(cancelled.count)"])
        } catch {
            logger.error("cannot suppress an address", metadata: ["id": "\(messageID)", "error": "\(error)"])
        }
    }

    /// Transient errors wait on the retry schedule (or the server's Retry-After, if longer)
    /// until the attempts run out; permanent errors fail at once; a gone endpoint is held.
    static func outcome(
        for error: DeliveryError, attempts: Int, retry: RetryPolicy, jitter: Double, now: Date
    ) -> DeliveryOutcome {
        if error.endpointGone { return .endpointGone(detail: error.detail) }
        guard error.kind == .transient else { return .failed(detail: error.detail) }
        guard retry.allowsRetry(afterAttempts: attempts) else {
            return .failed(detail: "gave up after \(attempts) attempts: \(error.detail)")
        }
        var delay = retry.delay(afterAttempt: attempts, jitter: jitter)
        if let after = error.retryAfter, after > delay { delay = after }
        return .retry(detail: error.detail, retryAt: now.addingTimeInterval(delay.inSeconds))
    }
}
