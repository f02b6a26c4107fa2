import Foundation
import RapportStore

/// Liveness and readiness as `/healthz` and `/readyz` report them.
public struct DaemonHealth: Sendable {
    /// The verdict of one readiness check, with the reasons when not ready.
    public struct Readiness: Sendable, Hashable {
        public var isReady: Bool
        public var problems: [String]
    }

    public let store: any OutboxStore
    public let heartbeat: TickHeartbeat

    /// - Parameters:
    ///   - store: checked with ``OutboxStore/checkReachable()``.
    ///   - heartbeat: the tick loop's; a tick must have succeeded recently.
    public init(store: any OutboxStore, heartbeat: TickHeartbeat) {
        self.store = store
        self.heartbeat = heartbeat
    }

    /// How old the last successful tick may be: two periods and a minute of grace, so a slow
    /// tick or one retried after an error does not flap readiness.
    public static func staleness(interval: Duration) -> Duration { interval * 2 + .seconds(60) }

    /// Ready when the store answers and a tick succeeded within ``staleness(interval:)``.
    /// Blocking (a store query): call it off any event loop.
    public func readiness(now: ContinuousClock.Instant = .now) -> Readiness {
        var problems: [String] = []
        do {
            try store.checkReachable()
        } catch {
            problems.append("\(error)")
        }
        let state = heartbeat.snapshot
        let limit = Self.staleness(interval: state.interval)
        if state.lastSuccess == nil {
            problems.append("no tick has succeeded yet")
        } else if !heartbeat.succeededRecently(now: now, within: limit) {
            problems.append("the last successful tick is older than \(limit.components.seconds) s")
        }
        return Readiness(isReady: problems.isEmpty, problems: problems)
    }
}
