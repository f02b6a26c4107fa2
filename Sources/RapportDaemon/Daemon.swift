import Dispatch
import Foundation
import Logging
import RapportCore
import RapportDelivery
import RapportStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The long-running daemon: a ``TickLoop``, signal handlers, the systemd notifications and
/// the watchdog around one ``Engine``.
///
/// - A tick reloads the data if it changed, plans, dispatches due messages, then refreshes the
///   message gauges and sends `STATUS=`. Ticks never overlap and keep their period.
/// - SIGTERM/SIGINT: `STOPPING=1`, stop claiming, finish the message in flight, release what
///   was claimed but not started, exit 0.
/// - SIGHUP: `RELOADING=1`; configuration, templates and data are read again and validated;
///   a broken set is logged with every error and the running one stays; then `READY=1`.
/// - With `$WATCHDOG_USEC`, a ``Watchdog`` pings from its own timer while ticks make progress.
///
/// `@unchecked Sendable`: the engine is only used on the tick queue; the signal pipe is set
/// once in ``start()``; the rest is immutable or atomic.
public final class Daemon: @unchecked Sendable {
    private let engine: Engine
    private let configPath: String
    private let environment: [String: String]
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let notifier: SystemdNotifier
    /// Counts sends, ticks and errors; rendered by the HTTP listener when there is one.
    public let metrics: RapportMetrics
    private let watchdog: Watchdog?
    private let signalQueue = DispatchQueue(label: "rapport.signals")
    private let stopping = Atomic<Bool>(false)
    private var signals: SignalPipe?
    /// The tick loop; set at the end of `init` (its body calls back into the daemon).
    public private(set) var loop: TickLoop!

    /// - Parameters:
    ///   - clock: the time; tests and `--now` start it elsewhere.
    ///   - notifier: where `READY=1` and friends go (a no-op without `$NOTIFY_SOCKET`).
    ///   - watchdog: from `$WATCHDOG_USEC`; `nil` for none.
    public init(
        engine: Engine, configPath: String, environment: [String: String], logger: Logger,
        clock: @escaping @Sendable () -> Date, notifier: SystemdNotifier, metrics: RapportMetrics,
        watchdog: WatchdogSettings?
    ) {
        self.engine = engine
        self.configPath = configPath
        self.environment = environment
        self.logger = logger
        self.clock = clock
        self.notifier = notifier
        self.metrics = metrics
        engine.metrics = metrics
        let heartbeat = TickHeartbeat(interval: engine.configuration.tickInterval)
        self.watchdog = watchdog.map {
            Watchdog(settings: $0, heartbeat: heartbeat, notifier: notifier, logger: logger)
        }
        self.loop = TickLoop(
            label: "rapport.tick", heartbeat: heartbeat, logger: logger,
            finished: { duration, succeeded in
                metrics.tickFinished(duration: duration, succeeded: succeeded, at: Date())
            }, body: { [unowned self] in try tick() })
    }

    /// The tick loop's heartbeat, for the watchdog and `/readyz`.
    public var heartbeat: TickHeartbeat { loop.heartbeat }

    /// Installs the signal handlers, starts ticking at once (then every tick interval) and the
    /// watchdog, and tells systemd the daemon is ready.
    public func start() throws(SignalPipeError) {
        signals = try SignalPipe(signals: [SIGTERM, SIGINT, SIGHUP], queue: signalQueue) { [self] signal in
            switch signal {
            case SIGTERM: requestStop(reason: "SIGTERM")
            case SIGINT: requestStop(reason: "SIGINT")
            default:
                // Announced at once; the work waits for the tick in progress, on the tick queue.
                notify(
                    .reloading(monotonicMicroseconds: SystemdNotifier.monotonicMicroseconds(), status: "reloading"))
                loop.queue.async { self.reload() }
            }
        }
        loop.start()
        watchdog?.start()
        let interval = engine.configuration.tickInterval
        logger.info(
            "rapport started",
            metadata: [
                "config": "\(configPath)", "store": "\(engine.configuration.storeDisplayName)",
                "tick": "\(interval.components.seconds)s",
            ])
        for warning in engine.configuration.warnings { logger.warning("\(warning)") }
        notify(.ready(status: "started; first tick running"))
    }

    private func notify(_ message: NotifyMessage) {
        do {
            try notifier.send(message)
        } catch {
            logger.warning("cannot notify the service manager", metadata: ["error": "\(error)"])
        }
    }

    private func requestStop(reason: String) {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        logger.info("stopping", metadata: ["signal": "\(reason)"])
        notify(.stopping(status: "stopping: finishing the message in flight"))
        // Runs after the tick in progress, which sees the flag between two messages.
        loop.queue.async { [self] in
            loop.cancel()
            watchdog?.stop()
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

    /// One tick: data, plan, dispatch, then gauges and `STATUS=`. A data file that fails
    /// validation is logged and counted, not thrown: the last good data stays in force.
    /// Every tick, thrown or not, leaves a heartbeat in the store for `rapport status`.
    func tick() throws {
        guard !stopping.load(ordering: .sequentiallyConsistent) else { return }
        // A tick that planned a large file freed most of what it used; hand it back to the
        // system rather than keep it as the daemon's idle footprint.
        defer { releaseFreeMemory() }
        do {
            try tickOnce()
            if let since = storePausedSince {
                storePausedSince = nil
                logger.notice(
                    "the store is writable again: dispatch resumed",
                    metadata: ["paused_seconds": "\(Int(Date().timeIntervalSince(since)))"])
            }
            engine.recordHeartbeat(lastError: dataError)
        } catch let error as StoreError where error.code == .unwritable {
            // Nothing is sent while outcomes cannot be kept; the state on disk stays as it was.
            if storePausedSince == nil {
                storePausedSince = Date()
                logger.critical(
                    "the store cannot be written: dispatch paused until it can (every tick retries)",
                    metadata: ["error": "\(error)"])
            }
            notify(.status("PAUSED: store not writable: \(error.detail)"))
            engine.recordHeartbeat(lastError: "\(error)")
            throw error
        } catch {
            engine.recordHeartbeat(lastError: "\(error)")
            throw error
        }
    }

    /// When the store last stopped accepting writes, until it accepts them again.
    private var storePausedSince: Date?

    /// The last data-file rejection, until a reload succeeds.
    private var dataError: String?
    /// The hash of the data file whose changes were last rejected.
    private var rejectedContents: String?

    private func tickOnce() throws {
        let started = ContinuousClock.now
        if let report = try planIfNeeded(now: clock()), report.applied != ApplySummary() {
            logger.info(
                "planned",
                metadata: [
                    "added": "\(report.applied.inserted)", "retimed": "\(report.applied.retimed)",
                    "cancelled": "\(report.applied.cancelled)", "refreshed": "\(report.applied.refreshed)",
                    "rendered": "\(report.applied.rendered)",
                ])
        }
        let heartbeat = loop.heartbeat
        let dispatched = try engine.dispatch(
            now: clock,
            shouldStop: { [self] in
                heartbeat.beat()
                return stopping.load(ordering: .sequentiallyConsistent)
            }, budget: engine.configuration.tickInterval)
        if dispatched.attempted > 0 {
            let elapsed = ContinuousClock.now - started
            logger.info(
                "dispatched",
                metadata: [
                    "sent": "\(dispatched.sent)", "retrying": "\(dispatched.retrying)",
                    "failed": "\(dispatched.failed)", "ms": "\(Int(elapsed / .milliseconds(1)))",
                ])
        }
        let events = try engine.publishEvents(
            now: clock, shouldStop: { [self] in stopping.load(ordering: .sequentiallyConsistent) },
            budget: engine.configuration.tickInterval)
        if events.sent + events.retrying + events.failed > 0 {
            logger.info(
                "events published",
                metadata: ["sent": "\(events.sent)", "retrying": "\(events.retrying)", "failed": "\(events.failed)"])
        }
        try engine.purgeExpiredBodies(now: clock())
        try refreshStatus(dispatched)
    }

    /// Reads the outbox counts once: the `rapport_messages` gauges and the `STATUS=` line.
    private func refreshStatus(_ dispatched: DispatchReport) throws {
        let now = clock()
        let counts = try engine.store.messageCounts(dueBy: now)
        metrics.refresh(counts: counts)
        let due = counts.reduce(0) { $0 + $1.due }
        let awaiting = counts.filter { $0.state == .pendingApproval }.reduce(0) { $0 + $1.count }
        notify(
            .status(
                "last tick \(now.formatted(.iso8601)): sent \(dispatched.sent), \(due) due, "
                    + "\(awaiting) awaiting approval"))
    }

    /// Plans when anything planning depends on changed: only the contacts that changed when
    /// the store keeps the last plan's basis, else everyone (reading the data file whole when
    /// it changed). Nothing is read when nothing changed.
    private func planIfNeeded(now: Date) throws -> PlanReport? {
        guard engine.needsPlanning(now: now) else { return nil }
        // The file's bytes, read to tell whether it changed, are not kept past this plan.
        defer { engine.dropDataReadAhead() }
        // A rejected file still in place is not parsed again record by record: the full path
        // below reports it once and plans with the last good data.
        let contents = engine.dataContentHash()
        let alreadyRejected = contents != nil && contents == rejectedContents
        if !alreadyRejected {
            do {
                if let report = try engine.planChanges(now: now) {
                    dataError = nil
                    rejectedContents = nil
                    return report
                }
            } catch is DataErrors {
                // Reported, and remembered, by the full plan or reload below.
                rejectedContents = contents
            }
        }
        guard engine.snapshot != nil else {
            // Nothing held (the usual case): everyone is planned as the file is read, unless
            // this very file was rejected already.
            guard !alreadyRejected else { return nil }
            do {
                let report = try engine.plan(now: now)
                dataError = nil
                rejectedContents = nil
                return report
            } catch let error as DataErrors {
                rejected(error)
                rejectedContents = contents
                return nil
            }
        }
        reloadData()
        guard engine.snapshot != nil else { return nil }
        return try engine.plan(now: now)
    }

    private func reloadData() {
        do {
            // A file left as it was, rejected, is still rejected.
            if try engine.reloadData(force: false) { dataError = nil }
        } catch {
            rejected(error)
        }
    }

    /// Reports a data file that failed validation; whatever was planned from the last good one
    /// stays.
    private func rejected(_ error: DataErrors) {
        metrics.dataReloadFailed()
        logger.error(
            "data file rejected, keeping the last good data",
            metadata: [
                "errors": "\(error.errors.count)", "first": "\(error.errors.first.map(\.description) ?? "")",
            ])
        for problem in error.errors.prefix(20) { logger.error("\(problem)") }
        dataError = "data file rejected: \(error.errors.first.map(\.description) ?? "")"
    }

    /// Reloads configuration, templates and data (always re-read); on any error the running
    /// configuration stays. Then `READY=1` and a tick.
    func reload() {
        guard !stopping.load(ordering: .sequentiallyConsistent) else { return }
        logger.info("reloading", metadata: ["config": "\(configPath)"])
        var outcome = "reloaded"
        do {
            let configuration = try Configuration.load(path: configPath, environment: environment)
            if configuration.storeLocation != engine.configuration.storeLocation {
                logger.warning("the store's path or url changed: a restart is needed to use the new store")
            }
            if configuration.httpListen != engine.configuration.httpListen {
                logger.warning("http.listen changed: a restart is needed to move the listener")
            }
            let renderer = try Renderer(configuration: configuration)
            let transports = try Transports(configuration: configuration)
            let interval = configuration.tickInterval
            let intervalChanged = interval != engine.configuration.tickInterval
            engine.replace(configuration: configuration, renderer: renderer, transports: transports)
            if intervalChanged { loop.reschedule(interval: interval) }
            logger.info("reloaded", metadata: ["tick": "\(interval.components.seconds)s"])
            for warning in configuration.warnings { logger.warning("\(warning)") }
        } catch let errors as ConfigurationErrors {
            reject("configuration", errors.errors.map(\.description))
            outcome = "reload rejected (\(errors.errors.count) errors); running the previous configuration"
        } catch let errors as TemplateErrors {
            reject("templates", errors.errors.map(\.description))
            outcome = "reload rejected (\(errors.errors.count) template errors); running the previous templates"
        } catch {
            reject("configuration", ["\(error)"])
            outcome = "reload rejected; running the previous configuration"
        }
        do {
            try engine.revalidateData()
            dataError = nil
            rejectedContents = nil
        } catch {
            rejected(error)
            // Not parsed again, nor reported again, until it changes.
            rejectedContents = engine.dataContentHash()
        }
        notify(.ready(status: outcome))
        loop.runTick()
    }

    private func reject(_ what: String, _ problems: [String]) {
        metrics.configReloadFailed()
        logger.error(
            "reload rejected, keeping the running \(what)", metadata: ["errors": "\(problems.count)"])
        for problem in problems { logger.error("\(problem)") }
    }
}

/// Returns the heap's free pages to the system (glibc's `malloc_trim`, which Swift's Glibc
/// module does not export, so it is looked up once); a no-op where there is none.
func releaseFreeMemory() {
    _ = mallocTrim?(0)
}

/// Makes every thread allocate from one heap (glibc's `mallopt(M_ARENA_MAX, 1)`), unless
/// `$MALLOC_ARENA_MAX` says otherwise; call it first thing, before any thread starts.
///
/// glibc gives threads heaps of their own (up to eight per core), each keeping the pages it
/// freed: a dispatch pass starts new send threads, and a backlog of 50,000 webhooks grew
/// the daemon's own memory from 27 to 37 MB while the live heap stayed under 9 MB (heaptrack).
/// With one heap it stays at 14 MB, at the same send rate and plan time (Benchmarks).
public func shareOneHeapAcrossThreads() {
    guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
    _ = mallocOption?(mallocArenaMax, 1)
}

/// glibc's `M_ARENA_MAX` (malloc.h).
private let mallocArenaMax: Int32 = -8

private let mallocOption: (@convention(c) (Int32, Int32) -> Int32)? = {
    #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    #else
        return nil
    #endif
}()

private let mallocTrim: (@convention(c) (Int) -> Int32)? = {
    #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    #else
        return nil
    #endif
}()
