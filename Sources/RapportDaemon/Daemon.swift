import Dispatch
import Foundation
import Logging
import RapportCore
import RapportDelivery
import RapportStore
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The long-running daemon: a timer that ticks on one serial queue, and signal handlers.
///
/// - A tick reloads the data if it changed, plans, and dispatches due messages. Ticks never
///   overlap: they run on one serial queue, and a timer firing during a long tick is coalesced.
/// - SIGTERM/SIGINT: stop claiming, finish the message in flight, release what was claimed
///   but not started, exit 0.
/// - SIGHUP: read the configuration and templates again; a broken one is logged with every
///   error and the running configuration stays.
///
/// `@unchecked Sendable`: the engine is only used on the serial tick queue; the rest is
/// immutable or guarded (`Atomic`, `Mutex`).
public final class Daemon: @unchecked Sendable {
    private let engine: Engine
    private let configPath: String
    private let environment: [String: String]
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let queue = DispatchQueue(label: "rapport.tick")
    private let signalQueue = DispatchQueue(label: "rapport.signals")
    private let stopping = Atomic<Bool>(false)
    /// Set once in `start()`, cancelled on the tick queue at shutdown.
    private var sources: [any DispatchSourceProtocol] = []
    /// The tick timer; rescheduled on the tick queue when a reload changes the interval.
    private var timer: (any DispatchSourceTimer)?

    /// - Parameter clock: the time; tests and `--now` start it elsewhere.
    public init(
        engine: Engine, configPath: String, environment: [String: String], logger: Logger,
        clock: @escaping @Sendable () -> Date
    ) {
        self.engine = engine
        self.configPath = configPath
        self.environment = environment
        self.logger = logger
        self.clock = clock
    }

    /// Installs the signal handlers and starts ticking at once, then every tick interval.
    public func start() {
        for signal in [SIGTERM, SIGINT, SIGHUP] {
            Glibc.signal(signal, SIG_IGN)
        }
        let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: signalQueue)
        term.setEventHandler { [self] in requestStop(reason: "SIGTERM") }
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: signalQueue)
        interrupt.setEventHandler { [self] in requestStop(reason: "SIGINT") }
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: signalQueue)
        hangup.setEventHandler { [self] in queue.async { self.reload() } }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = engine.configuration.tickInterval
        timer.schedule(
            deadline: .now(), repeating: .milliseconds(Int(interval.components.seconds) * 1000),
            leeway: .milliseconds(50))
        timer.setEventHandler { [self] in tick() }
        self.timer = timer
        sources = [term, interrupt, hangup, timer]
        for source in sources { source.resume() }
        logger.info(
            "rapport started",
            metadata: [
                "config": "\(configPath)", "store": "\(engine.configuration.storePath)",
                "tick": "\(interval.components.seconds)s",
            ])
    }

    private func requestStop(reason: String) {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        logger.info("stopping", metadata: ["signal": "\(reason)"])
        // Runs after the tick in progress, which sees the flag between two messages.
        queue.async { [self] in
            for source in sources { source.cancel() }
            do {
                try engine.store.releaseLeases(owner: engine.owner, at: clock())
            } catch {
                logger.error("cannot release leases", metadata: ["error": "\(error)"])
            }
            engine.recordHeartbeat(lastError: nil, stopped: true)
            logger.info("stopped")
            exit(0)
        }
    }

    /// One tick. Errors are logged and the next tick runs.
    func tick() {
        guard !stopping.load(ordering: .sequentiallyConsistent) else { return }
        let started = ContinuousClock.now
        var tickError: String?
        defer { engine.recordHeartbeat(lastError: tickError) }
        do {
            try engine.reloadDataIfChanged()
        } catch {
            logger.error(
                "data file rejected, keeping the last good data",
                metadata: [
                    "errors": "\(error.errors.count)", "first": "\(error.errors.first.map(\.description) ?? "")",
                ])
            for problem in error.errors.prefix(20) { logger.error("\(problem)") }
            tickError = "data file rejected: \(error.errors.first.map(\.description) ?? "")"
        }
        do {
            if engine.snapshot != nil {
                let report = try engine.plan(now: clock())
                if report.applied != ApplySummary() {
                    logger.info(
                        "planned",
                        metadata: [
                            "added": "\(report.applied.inserted)", "retimed": "\(report.applied.retimed)",
                            "cancelled": "\(report.applied.cancelled)", "refreshed": "\(report.applied.refreshed)",
                        ])
                }
            }
            let dispatched = try engine.dispatch(
                now: clock, shouldStop: { [self] in stopping.load(ordering: .sequentiallyConsistent) })
            if dispatched.attempted > 0 {
                logger.info(
                    "dispatched",
                    metadata: [
                        "sent": "\(dispatched.sent)", "retrying": "\(dispatched.retrying)",
                        "failed": "\(dispatched.failed)",
                        "ms":
                            "\((ContinuousClock.now - started).components.seconds * 1000 + (ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000)",
                    ])
            }
        } catch {
            logger.error("tick failed", metadata: ["error": "\(error)"])
            tickError = "\(error)"
        }
    }

    /// Reloads configuration and templates; on any error the running ones stay.
    func reload() {
        logger.info("reloading", metadata: ["config": "\(configPath)"])
        do {
            let configuration = try Configuration.load(path: configPath, environment: environment)
            if configuration.storePath != engine.configuration.storePath {
                logger.warning("store.path changed: a restart is needed to use the new store")
            }
            let renderer = try Renderer(configuration: configuration)
            let transports = try Transports(configuration: configuration)
            let interval = configuration.tickInterval
            let intervalChanged = interval != engine.configuration.tickInterval
            engine.replace(configuration: configuration, renderer: renderer, transports: transports)
            if intervalChanged {
                timer?.schedule(
                    deadline: .now() + .seconds(Int(interval.components.seconds)),
                    repeating: .seconds(Int(interval.components.seconds)), leeway: .milliseconds(50))
            }
            logger.info("reloaded", metadata: ["tick": "\(interval.components.seconds)s"])
        } catch let errors as ConfigurationErrors {
            logger.error(
                "reload rejected, keeping the running configuration", metadata: ["errors": "\(errors.errors.count)"])
            for error in errors.errors { logger.error("\(error)") }
        } catch let errors as TemplateErrors {
            logger.error(
                "reload rejected, keeping the running templates", metadata: ["errors": "\(errors.errors.count)"])
            for error in errors.errors { logger.error("\(error)") }
        } catch {
            logger.error("reload rejected, keeping the running configuration", metadata: ["error": "\(error)"])
        }
        // The data is re-read on the next tick if it changed; a reload forces a look.
        tick()
    }
}
