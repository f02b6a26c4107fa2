import ArgumentParser
import Dispatch
import Foundation
import Logging
import RapportCore
import RapportDaemon
import RapportHTTP
import RapportStore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: reload data, plan and dispatch on every tick.",
        discussion: "SIGTERM stops after the message in flight; SIGHUP reloads configuration and templates.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Do one tick and exit.")
    var once = false

    @Option(help: "Use this time (ISO 8601) instead of the clock: fixed with --once, else advancing from it.")
    var now: String?

    @Option(
        help: """
            Log lines as text (for a terminal), journal (<N> priority prefix, no timestamp) or json (one \
            object per line). Default: journal when standard error is $JOURNAL_STREAM, else text.
            """)
    var logFormat: LogFormat?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = makeLogger(
            format: logFormat ?? .automatic(environment: environment, standardError: standardErrorIdentity()))
        let workspace = try Workspace.open(global, secrets: .read)
        let configuration = workspace.configuration
        // One daemon per SQLite file; daemons sharing PostgreSQL coordinate through leases.
        var lock: StoreLock?
        if workspace.store.isEmbedded {
            do {
                lock = try StoreLock(storePath: configuration.storePath)
            } catch {
                printError("error: \(error)")
                throw ExitCode.failure
            }
        }
        let clock = try makeClock()
        let engine = try makeEngine(configuration, store: workspace.store, logger: logger)
        // Holding the lock means no other daemon runs: any lease left is from one that died
        // mid-send. Those messages go again, with the same id. On a shared PostgreSQL store the
        // other leases may be live daemons': they return only when they expire.
        let released = lock == nil ? 0 : try workspace.store.releaseLeases(owner: nil, at: clock())
        if released > 0 {
            logger.warning("retrying messages interrupted by an earlier stop", metadata: ["count": "\(released)"])
        }
        if once {
            try runOnce(engine, now: clock())
            withExtendedLifetime(lock) {}
            return
        }
        let notifier: SystemdNotifier
        do {
            notifier = try SystemdNotifier(environment: environment)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        let daemon = Daemon(
            engine: engine, configPath: configuration.file, environment: environment, logger: logger, clock: clock,
            notifier: notifier, metrics: RapportMetrics(), watchdog: WatchdogSettings(environment: environment))
        if let address = configuration.httpListen {
            let health = DaemonHealth(store: workspace.store, heartbeat: daemon.heartbeat)
            var routes: [any HTTPRoutes] = [ObservabilityRoutes(metrics: daemon.metrics, health: health)]
            if let secret = configuration.unsubscribe?.secret {
                routes.append(
                    UnsubscribeRoutes(
                        secret: secret, store: workspace.store, businessName: configuration.businessName,
                        logger: logger))
            }
            let listener = HTTPListener(address: address, routes: routes, logger: logger)
            do {
                try listener.start()
            } catch {
                printError("error: \(error)")
                throw ExitCode.failure
            }
        }
        do {
            try daemon.start()
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        withExtendedLifetime(lock) {
            dispatchMain()
        }
    }

    private func makeClock() throws -> @Sendable () -> Date {
        guard let now else { return { Date() } }
        let start = try parseInstant(now)
        if once { return { start } }
        let origin = Date()
        return { start.addingTimeInterval(Date().timeIntervalSince(origin)) }
    }

    private func runOnce(_ engine: Engine, now: Date) throws {
        // Nothing the plan depends on changed since the last one: not even the file is parsed.
        // Only the contacts that changed, when the store keeps the last plan's basis.
        let clock = ContinuousClock()
        let started = clock.now
        var report = PlanReport.unchanged
        if engine.needsPlanning(now: now) {
            do {
                if let changes = try engine.planChanges(now: now) {
                    report = changes
                } else {
                    report = try engine.plan(now: now)
                }
            } catch let error as DataErrors {
                for problem in error.errors { printError("error: \(problem)") }
                throw ExitCode.failure
            }
        }
        let planned = clock.now
        let dispatched = try engine.dispatch(now: { now })
        let events = try engine.publishEvents(now: { now })
        let finished = clock.now
        let purged = try engine.purgeExpiredBodies(now: now)
        func milliseconds(_ duration: Duration) -> Int { Int(duration / .milliseconds(1)) }
        print(
            "planned \(report.applied.inserted) new, \(report.applied.retimed) re-timed, "
                + "\(report.applied.cancelled) cancelled, \(report.applied.refreshed) refreshed"
                + (report.applied.rendered > 0 ? ", \(report.applied.rendered) rendered as they came due; " : "; ")
                + "sent \(dispatched.sent), retrying \(dispatched.retrying), failed \(dispatched.failed)"
                + (events.sent + events.failed + events.retrying > 0
                    ? "; events sent \(events.sent), retrying \(events.retrying), failed \(events.failed)" : "")
                + (purged > 0 ? "; purged the bodies of \(purged) old messages" : "")
                + " (plan \(milliseconds(planned - started)) ms, dispatch \(milliseconds(finished - planned)) ms)")
        if !report.renderErrors.isEmpty { throw ExitCode.failure }
    }
}

extension LogFormat: ExpressibleByArgument {}

/// The device and inode of standard error, to compare with `$JOURNAL_STREAM`.
func standardErrorIdentity() -> (device: UInt64, inode: UInt64)? {
    var info = stat()
    guard fstat(2, &info) == 0 else { return nil }
    return (UInt64(info.st_dev), UInt64(info.st_ino))
}

/// Builds the engine, printing template and transport errors one per line. An engine that only
/// plans (`delivers: false`) opens no transport and needs no secrets.
func makeEngine(_ configuration: Configuration, store: any OperatorStore, logger: Logger, delivers: Bool = true) throws
    -> Engine
{
    let renderer: Renderer
    do {
        renderer = try Renderer(configuration: configuration)
    } catch {
        for problem in error.errors { printError("error: \(problem)") }
        throw ExitCode.failure
    }
    var transports: Transports?
    do {
        if delivers { transports = try Transports(configuration: configuration) }
    } catch {
        printError("error: \(configuration.file): transports: \(error)")
        throw ExitCode.failure
    }
    return Engine(
        configuration: configuration, store: store, renderer: renderer, transports: transports, logger: logger)
}
