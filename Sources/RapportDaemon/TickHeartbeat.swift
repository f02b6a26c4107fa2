import Foundation
import Synchronization

/// What the tick loop last did, shared with the watchdog and the health endpoints.
///
/// The tick queue writes it (a tick starts, a message is handled, a tick ends); the watchdog
/// timer and HTTP handlers read it from other threads.
public final class TickHeartbeat: Sendable {
    /// A copy of the state at one moment.
    public struct State: Sendable {
        /// The period of the tick loop.
        public var interval: Duration
        /// When the running tick began, or `nil` between ticks.
        public var runningSince: ContinuousClock.Instant?
        /// The last sign of progress: a tick starting, a message handled, a tick ending.
        public var lastBeat: ContinuousClock.Instant
        /// The end of the last tick that did not throw.
        public var lastSuccess: ContinuousClock.Instant?
        /// The wall-clock time of ``lastSuccess``, for metrics and `STATUS=`.
        public var lastSuccessDate: Date?
        /// Ticks that threw, in a row; `0` after a good one.
        public var consecutiveFailures = 0
    }

    private let state: Mutex<State>

    /// A heartbeat for a loop of period `interval`, counting from now.
    public init(interval: Duration) {
        state = Mutex(State(interval: interval, lastBeat: .now))
    }

    /// A copy of the current state.
    public var snapshot: State { state.withLock { $0 } }

    /// The loop's period changed (a reload).
    public func setInterval(_ interval: Duration) {
        state.withLock { $0.interval = interval }
    }

    /// A tick began.
    public func tickStarted() {
        state.withLock {
            $0.runningSince = .now
            $0.lastBeat = .now
        }
    }

    /// Progress inside a tick (one message handled).
    public func beat() {
        state.withLock { $0.lastBeat = .now }
    }

    /// A tick ended; `date` is the wall-clock time, kept for metrics when it `succeeded`.
    public func tickFinished(succeeded: Bool, at date: Date) {
        state.withLock {
            let now = ContinuousClock.now
            $0.runningSince = nil
            $0.lastBeat = now
            if succeeded {
                $0.lastSuccess = now
                $0.lastSuccessDate = date
                $0.consecutiveFailures = 0
            } else {
                $0.consecutiveFailures += 1
            }
        }
    }

    /// Whether the loop looks alive to a watchdog whose timeout is `timeout`: a running tick
    /// must have made progress within `timeout`; between ticks, the next tick is allowed its
    /// period on top.
    public func isAlive(now: ContinuousClock.Instant = .now, timeout: Duration) -> Bool {
        let state = snapshot
        let silence = now - state.lastBeat
        if state.runningSince != nil { return silence < timeout }
        return silence < state.interval + timeout
    }

    /// Whether a tick succeeded within `maximumAge`.
    public func succeededRecently(now: ContinuousClock.Instant = .now, within maximumAge: Duration) -> Bool {
        guard let last = snapshot.lastSuccess else { return false }
        return now - last < maximumAge
    }
}
