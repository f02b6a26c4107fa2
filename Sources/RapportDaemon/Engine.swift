import Crypto
import Foundation
import Logging
import RapportCore
import RapportDelivery
import RapportStore

/// What one planning pass did.
public struct PlanReport: Sendable {
    /// How many changes the plan made (for a dry run, would make); the changes themselves
    /// went, piece by piece, to the plan's `observe`.
    public var planned: PlanCounts
    public var applied: ApplySummary
    public var renderErrors: [RenderError]
    /// For a plan of the changes only: how many contacts it planned (new, edited, removed, or
    /// changed in the store) and how many records it left alone as unchanged.
    public var changesOnly: (planned: Int, unchangedRecords: Int)?

    /// No plan was made: nothing it depends on changed since the last one.
    public static let unchanged = PlanReport(planned: PlanCounts(), applied: ApplySummary(), renderErrors: [])
}

/// What one dispatch pass did.
public struct DispatchReport: Sendable, Hashable {
    public var sent = 0
    public var retrying = 0
    public var failed = 0
    public var interrupted = false

    public var attempted: Int { sent + retrying + failed }
}

/// The work of one tick — reload data if it changed, plan, dispatch due messages — without the
/// timers and signals around it, so tests and `rapport run --once` drive it directly.
///
/// An engine is used from one thread at a time (the daemon's tick queue).
public final class Engine {
    public private(set) var configuration: Configuration
    public let store: any OperatorStore
    public private(set) var renderer: Renderer
    /// `nil` for an engine that only plans (operator commands need no delivery credentials).
    public private(set) var transports: Transports?
    public private(set) var snapshot: Snapshot?
    private var dataSource: DataSource
    let logger: Logger
    /// Identifies this daemon in leases: `host:pid`.
    public let owner: String
    private let jitter: @Sendable () -> Double
    /// How each transport has fared, for heartbeats and `rapport status`.
    public private(set) var transportHealth: [String: TransportHealth] = [:]
    private let startedAt = Date()
    /// Where sends, failures and their latency are counted; `nil` counts nothing.
    public var metrics: RapportMetrics?

    public init(
        configuration: Configuration, store: any OperatorStore, renderer: Renderer, transports: Transports?,
        logger: Logger,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.8...1.2) }
    ) {
        self.configuration = configuration
        self.store = store
        self.renderer = renderer
        self.transports = transports
        self.logger = logger
        self.jitter = jitter
        self.dataSource = DataSource(
            path: configuration.dataPath, parser: SnapshotParser(defaultTimeZone: configuration.defaultTimeZone))
        self.owner = "\(ProcessInfo.processInfo.hostName):\(getpid())"
        updatePacers()
        syncSubscriptions()
        updateSettingsDigest()
    }

    /// Records `[events] types` in the store, which queues only subscribed events (the CLI's
    /// actions too, daemon or not).
    private func syncSubscriptions() {
        let wanted = configuration.events?.types ?? []
        do {
            if try store.subscriptions() != wanted { try store.subscribe(to: wanted) }
        } catch {
            logger.error("cannot record the event subscriptions", metadata: ["error": "\(error)"])
        }
    }

    /// Replaces configuration, templates and transports at once (after a validated reload).
    public func replace(configuration: Configuration, renderer: Renderer, transports: Transports) {
        let dataChanged =
            configuration.dataPath != self.configuration.dataPath
            || configuration.defaultTimeZone != self.configuration.defaultTimeZone
        self.configuration = configuration
        self.renderer = renderer
        self.transports = transports
        updatePacers()
        syncSubscriptions()
        updateSettingsDigest()
        if dataChanged {
            dataSource = DataSource(
                path: configuration.dataPath, parser: SnapshotParser(defaultTimeZone: configuration.defaultTimeZone))
            snapshot = nil
        }
    }

    // MARK: - Data

    /// Loads the data if the file changed. A bad file is logged with every error and the last
    /// good snapshot stays in force.
    /// - Returns: whether a new snapshot was loaded.
    @discardableResult
    public func reloadDataIfChanged() throws(DataErrors) -> Bool {
        try reloadData(force: false)
    }

    /// Loads the data: always when `force` (a SIGHUP: the file may have changed without its
    /// size, time or inode changing), else only if the file changed. A bad file is logged with
    /// every error and the last good snapshot stays in force.
    /// - Returns: whether a new snapshot was loaded.
    @discardableResult
    public func reloadData(force: Bool) throws(DataErrors) -> Bool {
        let fresh: Snapshot?
        if snapshot == nil || force {
            fresh = try dataSource.load()
        } else {
            fresh = try dataSource.loadIfChanged()
        }
        guard let fresh else { return false }
        snapshot = fresh
        loaded(kinds: fresh.contacts.lazy.map { ($0.id, $0.kind) })
        return true
    }

    /// Reads and validates the data file again, even if it looks unchanged (a SIGHUP: it may
    /// have changed without its size, time or inode changing), without keeping its contacts
    /// when it can (``DataSource/outline()``): any snapshot held is dropped, and the next plan
    /// reads the file as it plans. A file that cannot be outlined is loaded as a snapshot
    /// (``reloadData(force:)``). A bad file leaves everything as it was.
    public func revalidateData() throws(DataErrors) {
        guard let outline = try dataSource.outline() else {
            try reloadData(force: true)
            return
        }
        snapshot = nil
        loaded(kinds: outline.idsAndKinds)
    }

    /// Records the contacts' kinds (logging each change) and logs the load.
    private func loaded<Kinds: Collection<(String, ContactKind)>>(kinds: Kinds) {
        do {
            log(try store.recordKinds(kinds, at: Date()))
        } catch {
            logger.error("cannot record contact kinds", metadata: ["error": "\(error)"])
        }
        logger.info("data loaded", metadata: ["file": "\(dataSource.path)", "contacts": "\(kinds.count)"])
    }

    private func log(_ kindChanges: [KindChange]) {
        for change in kindChanges {
            logger.info(
                "contact kind changed",
                metadata: ["contact": "\(change.contactID)", "from": "\(change.from)", "to": "\(change.to)"])
        }
    }

    // MARK: - Planning

    /// How many rendered messages a plan stores per transaction.
    public var planChunk = 4_096

    /// How long an unchanged plan stays current: planning also depends on the clock (the
    /// horizon moves, windows open), so it runs at least this often.
    public static let replanPeriod: TimeInterval = 900

    /// The digest of the configuration in force and the templates, computed when they are
    /// loaded, for ``planningFingerprint(now:data:)``.
    private var settingsDigest = ""

    private func updateSettingsDigest() {
        // What the configuration file does not show: holiday calendars read from .ics files,
        // and the unsubscribe secret that signs the links rendered into promotions.
        let holidays = configuration.policy.holidays.regions.sorted { $0.key < $1.key }.map { region in
            region.key + ":" + region.value.sorted().map(\.description).joined(separator: ",")
        }
        let unsubscribe = configuration.unsubscribe.map { settings in
            settings.baseURL + hexDigits(SHA256.hash(data: settings.secret ?? []))
        }
        let parts = [
            configuration.sourceDigest, renderer.templates.fingerprint, holidays.joined(separator: ";"),
            unsubscribe ?? "",
        ]
        settingsDigest = hexDigits(SHA256.hash(data: Data(parts.joined(separator: "\n").utf8)))
    }

    /// The SHA-256 of the data file as it is now (`nil` when it cannot be read).
    public func dataContentHash() -> String? { dataSource.contentHash() }

    /// Frees the data file's bytes that ``needsPlanning(now:)`` read, when no load used them.
    func dropDataReadAhead() { dataSource.dropReadAhead() }

    /// A digest of everything a plan depends on: the data file's bytes, the configuration and
    /// templates in force, the store's planning marker and the clock's 15-minute period.
    /// - Parameter data: the data file's hash; by default the file as it is now.
    func planningFingerprint(now: Date, data: String? = nil) throws -> String? {
        guard let data = data ?? dataSource.contentHash() else { return nil }
        let period = Int((now.timeIntervalSince1970 / Self.replanPeriod).rounded(.down))
        let parts = [data, settingsDigest, try store.planningMarker(), "\(period)"]
        return hexDigits(SHA256.hash(data: Data(parts.joined(separator: "\n").utf8)))
    }

    /// Whether a plan at `now` could change anything: false when the data, configuration,
    /// templates and the store are as they were after the last stored plan, in the same
    /// 15-minute period. Then a tick, `rapport plan` or `run --once` does no planning at all.
    public func needsPlanning(now: Date) -> Bool {
        do {
            guard let current = try planningFingerprint(now: now) else { return true }
            guard try store.planFingerprint() != current else {
                dataSource.dropReadAhead()
                return false
            }
            return true
        } catch {
            return true
        }
    }

    /// Plans against the current snapshot and, unless `dryRun`, stores the result: new messages
    /// rendered, re-timings, cancellations, refreshed content.
    ///
    /// The planner hands the plan over in pieces of about ``planChunk`` messages, each rendered
    /// and stored before the next contacts are planned, so a plan of a large file never holds
    /// every planned message or rendered body at once. Each chunk is stored in one
    /// transaction, on a thread of its own while the next one is rendered (``PlanWriter``). A
    /// plan cut short (a crash between chunks) is completed by the next one: ids are stable
    /// and inserts idempotent.
    ///
    /// - Parameters:
    ///   - explain: collect why campaigns leave customers out (for previews).
    ///   - progress: told `(planned, total)` contacts after each piece (for a progress bar).
    ///   - observe: told each piece of the plan once it is rendered and handed on to be stored
    ///     (the plan itself is not kept: see ``PlanReport/planned``).
    ///
    /// With no snapshot loaded (and no `explain`), the data file is read twice instead of
    /// being loaded: validated whole first, keeping only the contacts' ids (nothing is planned
    /// from a file with errors), then planned as it is read again, piece by piece
    /// (``planStreamed(now:dryRun:progress:observe:)``). A file whose ids do not ascend, or a
    /// JSON array, is loaded as a snapshot (``reloadData(force:)``) and planned from it.
    public func plan(
        now: Date, dryRun: Bool = false, explain: Bool = false, progress: ((Int, Int) -> Void)? = nil,
        observe: ((PlanDiff) -> Void)? = nil
    ) throws -> PlanReport {
        if snapshot == nil, !explain,
            let report = try planStreamed(now: now, dryRun: dryRun, progress: progress, observe: observe)
        {
            return report
        }
        if snapshot == nil { try reloadData(force: false) }
        guard let snapshot else { throw EngineError.noData }
        let state = try store.planningState()
        let policy = configuration.policy
        return try store(against: state, now: now, dryRun: dryRun, storedIndex: nil) { store in
            try Planner.plan(
                snapshot: snapshot, history: state.history, policy: policy, now: now, explain: explain,
                inPiecesOf: planChunk
            ) { piece, planned in
                try store(piece)
                observe?(piece)
                progress?(planned, snapshot.contacts.count)
            }
        }
    }

    /// Plans everyone from the data file as it is read, keeping no snapshot: the file is
    /// validated whole first (``DataSource/outline()``: ids, kinds and the record index only,
    /// and where each record is when the ids do not ascend), then read again in id order and
    /// planned a piece at a time, each piece stored as it is planned. At a million contacts,
    /// the contacts are never all held at once.
    /// - Returns: `nil` when the file cannot be read this way (see ``DataSource/outline()``).
    private func planStreamed(
        now: Date, dryRun: Bool, progress: ((Int, Int) -> Void)?, observe: ((PlanDiff) -> Void)?
    ) throws -> PlanReport? {
        guard let outline = try dataSource.outline() else { return nil }
        // The kinds are written while the outbox is read (a write and a read, each on its own
        // connection): a million rows each after a configuration edit.
        let outbox = store
        let (read, _) = Parallel.both(
            { Result { () throws(StoreError) in try outbox.planningState() } },
            { self.loaded(kinds: outline.idsAndKinds) })
        let state = try read.get()
        let policy = configuration.policy
        let chunk = planChunk
        return try store(against: state, now: now, dryRun: dryRun, storedIndex: nil) { store in
            try dataSource.readContacts(as: outline) { next in
                try Planner.plan(
                    inIDOrder: next, history: state.history, policy: policy, now: now, inPiecesOf: chunk
                ) { piece, planned in
                    try store(piece)
                    observe?(piece)
                    progress?(planned, outline.count)
                }
            }
        }
    }

    /// Plans only the contacts whose record in the data file, or whose messages, touchpoints
    /// or opt-outs in the store changed since the last stored plan, and stores the result;
    /// the others' messages stay as they are, which is what planning them again would give.
    ///
    /// The data file is read whole, but only new and edited records are parsed (each record
    /// is known by a digest of its bytes, kept with the last plan), and only the outbox rows
    /// of the contacts concerned are read. A campaign's hourly rate is shared with the
    /// messages of everyone else, counted in the store.
    ///
    /// `progress` and `observe` are told as ``plan(now:dryRun:explain:progress:observe:)``
    /// tells them, once: the changes are one piece.
    ///
    /// - Returns: `nil` when a full plan is needed: no basis stored (no plan yet, a
    ///   PostgreSQL store, the last plan failed to render something), the configuration,
    ///   templates or planning period changed, a store change concerns no single contact (a
    ///   suppression), or the file cannot be compared record by record (another CSV header).
    public func planChanges(
        now: Date, progress: ((Int, Int) -> Void)? = nil, observe: ((PlanDiff) -> Void)? = nil
    ) throws -> PlanReport? {
        guard let basis = try store.planBasis(), basis.settings == basisDigest(now: now),
            let touched = try store.contactsChanged(afterEvent: basis.lastEvent),
            let changes = try dataSource.loadChanges(since: basis, including: touched)
        else { return nil }
        if snapshot != nil {
            // What is held in memory is older than what is planned now: load it again when needed.
            snapshot = nil
        }
        let concerned = Set(changes.contacts.map(\.id)).union(changes.removedIDs).union(touched)
        // The contacts' kinds are written while their outbox rows are read: a write and a read,
        // each on a connection of its own.
        let outbox = store
        let (planning, kindChanges) = Parallel.both(
            { Result { () throws(StoreError) in try outbox.planningState(of: concerned.sorted()) } },
            {
                Result { () throws(StoreError) in
                    try outbox.recordKinds(changes.contacts.lazy.map { ($0.id, $0.kind) }, at: Date())
                }
            })
        log(try kindChanges.get())
        let state = try planning.get()
        let policy = configuration.policy
        var otherLoad = try store.campaignLoad(of: policy.campaigns.filter { $0.maxPerHour != nil }.map(\.name))
        for (campaign, hours) in Planner.campaignLoad(of: state.history, policy: policy) {
            for (hour, count) in hours { otherLoad[campaign, default: [:]][hour, default: 0] -= count }
        }
        let diff = Planner.plan(
            changed: changes.contacts, history: state.history, policy: policy, now: now, otherLoad: otherLoad)
        logger.info(
            "planned the changes only",
            metadata: [
                "contacts": "\(changes.contacts.count)", "removed": "\(changes.removedIDs.count)",
                "unchanged records": "\(changes.unchangedRecords)",
            ])
        var report = try store(against: state, now: now, dryRun: false, storedIndex: basis.index) { store in
            try store(diff)
            observe?(diff)
            progress?(changes.contacts.count, changes.contacts.count)
        }
        report.changesOnly = (concerned.count, changes.unchangedRecords)
        return report
    }

    /// The part of the plan basis that is not the data: the configuration, templates and
    /// planning period.
    private func basisDigest(now: Date) -> String {
        let period = Int((now.timeIntervalSince1970 / Self.replanPeriod).rounded(.down))
        return hexDigits(SHA256.hash(data: Data("\(settingsDigest)\n\(period)".utf8)))
    }

    /// Stores a plan made by `makePlan`, which hands its pieces to the closure it is given,
    /// then the fingerprint and basis of the plan, unless `dryRun`.
    /// - Parameter storedIndex: the record index the store holds now; when the file's records
    ///   are still those (sends and operator actions only), it is not written again.
    private func store(
        against state: PlanningState, now: Date, dryRun: Bool, storedIndex: RecordIndex?,
        makePlan: ((PlanDiff) throws -> Void) throws -> Void
    ) throws -> PlanReport {
        let storage = PlanStorage(
            renderer: renderer, policy: configuration.policy, state: state, store: store, now: now, chunk: planChunk,
            dryRun: dryRun)
        try makePlan(storage.store)
        let applied = try storage.finish()
        let renderErrors = storage.renderErrors
        for error in renderErrors {
            logger.error("cannot render a message", metadata: ["error": "\(error)"])
        }
        // What this plan was made from, marker read after it was stored: until one of them
        // changes, planning again would change nothing. Not after render errors: they are
        // reported again next time.
        if !dryRun, renderErrors.isEmpty,
            let fingerprint = try planningFingerprint(now: now, data: dataSource.loadedHash)
        {
            try store.setPlanFingerprint(fingerprint)
        }
        if !dryRun {
            // The next plan may redo only what changed after this one: unless something failed
            // to render (it must be tried, and reported, again) or the file went unindexed.
            var basis: PlanBasis?
            if renderErrors.isEmpty, let index = dataSource.loadedIndex {
                basis = PlanBasis(
                    settings: basisDigest(now: now), preamble: dataSource.loadedPreamble,
                    lastEvent: try store.lastEventID(), index: index)
            }
            try store.setPlanBasis(basis, writingIndex: basis?.index != storedIndex)
        }
        return PlanReport(planned: storage.counts, applied: applied, renderErrors: renderErrors)
    }

    // MARK: - Retention

    private var lastPurge: Date?

    /// Erases the rendered bodies of messages closed longer ago than `[store] retention_days`;
    /// at most once an hour (the first call always runs).
    @discardableResult
    public func purgeExpiredBodies(now: Date) throws(StoreError) -> Int {
        guard let retention = configuration.retention else { return 0 }
        if let lastPurge, now.timeIntervalSince(lastPurge) < 3_600 { return 0 }
        lastPurge = now
        let cutoff = now.addingTimeInterval(-Double(retention.components.seconds))
        let purged = try store.purgeBodies(closedBefore: cutoff, at: now)
        if purged > 0 {
            logger.info("purged rendered bodies past retention", metadata: ["messages": "\(purged)"])
        }
        return purged
    }

    // MARK: - Dispatch

    /// Delivers due messages: per channel, `concurrency` workers claim as the channel's pace
    /// allows and send side by side (see ``DispatchPass``); one state change per transaction.
    ///
    /// - Parameters:
    ///   - now: the clock, read before each claim and each send.
    ///   - shouldStop: checked before each send; when it turns true no new send starts, what
    ///     was claimed but not started goes back to the outbox and the pass ends.
    ///   - budget: no send starts after this long (the daemon passes its tick interval, so a
    ///     slow peer cannot stretch a tick); `nil` runs until nothing is due.
    public func dispatch(
        now: @escaping @Sendable () -> Date, shouldStop: @escaping @Sendable () -> Bool = { false },
        budget: Duration? = nil, maxBatches: Int = 1_000
    ) throws -> DispatchReport {
        guard let transports else { throw EngineError.noTransports }
        let settings = DispatchPass.Settings(
            owner: owner, batchSize: configuration.batchSize, leaseSeconds: configuration.leaseSeconds,
            retry: configuration.retry, unsubscribeMailto: configuration.unsubscribe?.mailto, maxBatches: maxBatches,
            sendsPerCommit: configuration.sendsPerCommit)
        let pass = DispatchPass(
            store: store, settings: settings, logger: logger, metrics: metrics, health: transportHealth, jitter: jitter,
            now: now, shouldStop: shouldStop, deadline: budget.map { ContinuousClock.now + $0 })
        let (report, health) = try pass.run(transports: transports, pacers: pacers)
        transportHealth = health
        return report
    }

    /// Sends due lifecycle events to the `[events]` consumer (nothing without one).
    @discardableResult
    public func publishEvents(
        now: () -> Date, shouldStop: () -> Bool = { false }, budget: Duration? = nil
    ) throws -> EventPublisher.Report {
        guard let transport = transports?.events else { return EventPublisher.Report() }
        let publisher = EventPublisher(
            store: store, transport: transport, owner: owner, leaseSeconds: configuration.leaseSeconds,
            retry: configuration.retry, sender: configuration.sender, logger: logger, jitter: jitter)
        return try publisher.publish(
            now: now, shouldStop: shouldStop, deadline: budget.map { ContinuousClock.now + $0 },
            batchSize: configuration.batchSize)
    }

    /// Each channel's pace, kept across passes and reloads (rebuilt when its limits change).
    private var pacers: [Channel: Pacer] = [:]

    private func updatePacers() {
        for channel in Channel.allCases {
            let limits = configuration.deliveryLimits[channel] ?? DeliveryLimits()
            if pacers[channel]?.limits != limits { pacers[channel] = Pacer(limits) }
        }
    }

    // MARK: - Heartbeat

    /// Records that a tick ended (at the real time, not a simulated one), with its error if any.
    public func recordHeartbeat(lastError: String?, stopped: Bool = false) {
        let now = Date()
        if let lastError {
            self.lastError = (lastError, now)
        }
        let beat = DaemonHeartbeat(
            owner: owner, host: ProcessInfo.processInfo.hostName, pid: Int(getpid()), version: Engine.version,
            startedAt: startedAt, tickSeconds: Double(configuration.tickInterval.components.seconds), lastTickAt: now,
            lastError: self.lastError?.text, lastErrorAt: self.lastError?.at,
            transports: transportHealth.values.sorted { $0.name < $1.name }, stoppedAt: stopped ? now : nil)
        do {
            try store.record(beat)
        } catch {
            logger.error("cannot record the heartbeat", metadata: ["error": "\(error)"])
        }
    }

    private var lastError: (text: String, at: Date)?

    /// Rapport's version, as recorded in heartbeats.
    public static let version = "0.1.0"

    /// The envelope a transport sends for a stored message.
    /// `List-Unsubscribe` (the link, and the `mailto:` if configured) and
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) for content with a link.
    public static func unsubscribeHeaders(_ content: MessageContent, mailto: String?) -> [(String, String)] {
        guard let url = content.unsubscribeURL else { return [] }
        let value = UnsubscribeSettings(baseURL: "", mailto: mailto).listUnsubscribe(url: url)
        return [("List-Unsubscribe", value), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    }

    public static func envelope(for message: StoredMessage, at date: Date, unsubscribeMailto: String? = nil) throws
        -> Envelope
    {
        let content = message.content
        let from = try Mailbox(parsing: content.sender)
        let to = Mailbox(name: content.recipientName, address: content.recipientAddress ?? "")
        let replyTo = try content.replyTo.map { try Mailbox(parsing: $0) }
        let body = message.channel == .webhook ? WebhookMessage.body(for: message, sentAt: date) : []
        return Envelope(
            messageID: message.id, from: from, to: to, replyTo: replyTo, subject: content.subject, text: content.text,
            html: content.html, extraHeaders: unsubscribeHeaders(content, mailto: unsubscribeMailto), webhookBody: body)
    }
}

/// Failures of the engine itself.
public enum EngineError: Error, CustomStringConvertible {
    case noData
    case noTransports

    public var description: String {
        switch self {
        case .noData: "no relationship data has been loaded yet"
        case .noTransports: "this engine was built to plan only; it has no transports"
        }
    }
}
