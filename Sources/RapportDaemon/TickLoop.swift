import Dispatch
import Foundation
import Logging

/// Runs a tick at once and then every `interval`, on one serial queue.
///
/// - Ticks never overlap: they run on one serial queue, and a timer firing during a long tick
///   is coalesced into one tick that runs when the long one ends.
/// - The period is kept: the timer is scheduled on the clock, not after each tick ends.
/// - A tick that throws is logged, counted as a failure in the ``TickHeartbeat`` and the next
///   tick runs as usual.
///
/// `@unchecked Sendable`: the timer is only touched on ``queue``.
public final class TickLoop: @unchecked Sendable {
    /// The serial queue every tick (and everything that must not overlap a tick) runs on.
    public let queue: DispatchQueue
    public let heartbeat: TickHeartbeat
    private let logger: Logger
    private let body: () throws -> Void
    private let finished: @Sendable (_ duration: Duration, _ succeeded: Bool) -> Void
    private var timer: (any DispatchSourceTimer)?

    /// - Parameters:
    ///   - body: one tick, run on ``queue``.
    ///   - finished: called on ``queue`` after each tick with its duration and whether it
    ///     succeeded (for metrics).
    public convenience init(
        label: String, interval: Duration, logger: Logger,
        finished: @escaping @Sendable (Duration, Bool) -> Void = { _, _ in },
        body: @escaping () throws -> Void
    ) {
        self.init(
            label: label, heartbeat: TickHeartbeat(interval: interval), logger: logger, finished: finished, body: body)
    }

    /// - Parameter heartbeat: shared with a ``Watchdog``; its interval is the loop's period.
    public init(
        label: String, heartbeat: TickHeartbeat, logger: Logger,
        finished: @escaping @Sendable (Duration, Bool) -> Void = { _, _ in },
        body: @escaping () throws -> Void
    ) {
        queue = DispatchQueue(label: label)
        self.heartbeat = heartbeat
        self.logger = logger
        self.body = body
        self.finished = finished
    }

    /// Starts ticking: the first tick at once.
    public func start() {
        queue.async { [self] in
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.setEventHandler { [self] in runTick() }
            self.timer = timer
            schedule(interval: heartbeat.snapshot.interval, first: .now())
            timer.resume()
        }
    }

    /// Changes the period; the next tick comes one new period from now. Call on ``queue``.
    public func reschedule(interval: Duration) {
        dispatchPrecondition(condition: .onQueue(queue))
        heartbeat.setInterval(interval)
        schedule(interval: interval, first: .now() + Self.dispatchInterval(interval))
    }

    /// Stops the timer; a tick in progress finishes. Call on ``queue``.
    public func cancel() {
        dispatchPrecondition(condition: .onQueue(queue))
        timer?.cancel()
        timer = nil
    }

    /// Runs one tick now, outside the timer (e.g. after a reload). Call on ``queue``.
    public func runTick() {
        dispatchPrecondition(condition: .onQueue(queue))
        let started = ContinuousClock.now
        heartbeat.tickStarted()
        var succeeded = true
        do {
            try body()
        } catch {
            succeeded = false
            logger.error("tick failed", metadata: ["error": "\(error)"])
        }
        heartbeat.tickFinished(succeeded: succeeded, at: Date())
        finished(ContinuousClock.now - started, succeeded)
    }

    private func schedule(interval: Duration, first: DispatchTime) {
        timer?.schedule(deadline: first, repeating: Self.dispatchInterval(interval), leeway: .milliseconds(20))
    }

    static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval {
        .nanoseconds(Int(duration / .nanoseconds(1)))
    }
}
