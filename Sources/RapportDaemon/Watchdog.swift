import Dispatch
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The service manager's watchdog, read from `$WATCHDOG_USEC` (and `$WATCHDOG_PID`).
public struct WatchdogSettings: Sendable, Hashable {
    /// `WatchdogSec=`: systemd restarts the service when no ping arrives within it.
    public var timeout: Duration

    /// The ping period: half the timeout, as sd_watchdog_enabled(3) advises.
    public var pingInterval: Duration { timeout / 2 }

    public init(timeout: Duration) { self.timeout = timeout }

    /// `nil` when no watchdog is set, when the value is not a positive number, or when
    /// `$WATCHDOG_PID` names another process.
    public init?(environment: [String: String], pid: Int32 = getpid()) {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else {
            return nil
        }
        if let owner = environment["WATCHDOG_PID"], !owner.isEmpty, Int32(owner) != pid { return nil }
        timeout = .microseconds(Int64(clamping: microseconds))
    }
}

/// Pings systemd's watchdog at half its timeout from a timer of its own, but only while the
/// tick loop shows progress (``TickHeartbeat``): a hung tick stops the pings and systemd
/// restarts the daemon, while a long tick that keeps handling messages does not.
///
/// `@unchecked Sendable`: the timer source is created once and Dispatch sources are
/// thread-safe; the rest is immutable or atomic.
public final class Watchdog: @unchecked Sendable {
    private let settings: WatchdogSettings
    private let heartbeat: TickHeartbeat
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let timer: any DispatchSourceTimer
    private let withheld = Atomic<Bool>(false)

    public init(settings: WatchdogSettings, heartbeat: TickHeartbeat, notifier: SystemdNotifier, logger: Logger) {
        self.settings = settings
        self.heartbeat = heartbeat
        self.notifier = notifier
        self.logger = logger
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "rapport.watchdog"))
    }

    /// Starts pinging: once at once, then every ``WatchdogSettings/pingInterval``.
    public func start() {
        let nanoseconds = Int(settings.pingInterval / .nanoseconds(1))
        timer.schedule(deadline: .now(), repeating: .nanoseconds(nanoseconds), leeway: .milliseconds(10))
        timer.setEventHandler { [self] in ping() }
        timer.resume()
        logger.info("watchdog enabled", metadata: ["ping_ms": "\(nanoseconds / 1_000_000)"])
    }

    /// Stops pinging (at shutdown).
    public func stop() { timer.cancel() }

    private func ping() {
        guard heartbeat.isAlive(timeout: settings.timeout) else {
            if !withheld.exchange(true, ordering: .relaxed) {
                logger.critical("the tick loop shows no progress; withholding watchdog pings")
            }
            return
        }
        if withheld.exchange(false, ordering: .relaxed) {
            logger.notice("the tick loop is making progress again; watchdog pings resume")
        }
        do {
            try notifier.send(.watchdog)
        } catch {
            logger.warning("watchdog ping failed", metadata: ["error": "\(error)"])
        }
    }
}
