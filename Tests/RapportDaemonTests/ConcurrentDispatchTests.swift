import Foundation
import Logging
import RapportCore
import RapportDaemon
import RapportDelivery
import RapportStore
import Synchronization
import Testing

/// A transport that takes `delay` per message and notes when each send started and how many
/// were in flight at once (shared by the transports of one pool).
final class TimedTransport: Transport {
    final class Log: Sendable {
        let starts = Mutex<[ContinuousClock.Instant]>([])
        let inFlight = Mutex((now: 0, most: 0))
        let delivered = Mutex<[String]>([])
    }

    let name: String
    let delay: Duration
    let log: Log
    /// Called after each delivery, before the outcome is recorded.
    let afterDelivery: @Sendable () -> Void

    init(_ name: String, delay: Duration, log: Log, afterDelivery: @escaping @Sendable () -> Void = {}) {
        self.name = name
        self.delay = delay
        self.log = log
        self.afterDelivery = afterDelivery
    }

    func deliver(_ envelope: Envelope, at date: Date) throws(DeliveryError) -> DeliveryReceipt {
        log.starts.withLock { $0.append(ContinuousClock.now) }
        log.inFlight.withLock {
            $0.now += 1
            $0.most = max($0.most, $0.now)
        }
        Thread.sleep(forTimeInterval: Double(delay / .milliseconds(1)) / 1_000)
        log.inFlight.withLock { $0.now -= 1 }
        log.delivered.withLock { $0.append(envelope.messageID) }
        afterDelivery()
        return DeliveryReceipt(detail: "OK", latency: delay)
    }
}

/// Sends run side by side per channel, paced by `rate_per_second` / `rate_per_hour`, and a pass
/// ends by its budget. Six clients each have a check-in (email) and a progress report (webhook)
/// due at `now`.
@Suite(.timeLimit(.minutes(1))) struct ConcurrentDispatchTests {
    let now = try! Date("2026-12-07T10:00:00Z", strategy: .iso8601)

    static let contacts: String = {
        let clients = (1...6).map { number in
            """
            {"id": "c\(number)", "name": "Client \(number)", "email": "c\(number)@example.com", "kind": "client",
             "timezone": "Europe/London", "tier": "gold", "last_contact_at": "2026-11-01T10:00:00Z",
             "projects": [{"id": "p\(number)", "name": "Review", "status": "active", "progress": 40}]}
            """
        }
        return "[" + clients.joined(separator: ",\n") + "]"
    }()

    func engine(
        _ sandbox: Sandbox, email: [any Transport], webhook: [any Transport], emailLimits: String = "",
        prepare: (Engine) -> Void = { _ in }
    ) throws -> Engine {
        sandbox.write("contacts.json", Self.contacts)
        let toml = sandbox.config(
            "[planning]\nstagger_minutes = 0\n[rules.progress]\nsend_at = \"10:00\"\nchannel = \"webhook\"\n"
        ).replacingOccurrences(of: "maildir = \"state/mail\"", with: "maildir = \"state/mail\"\n" + emailLimits)
        let configuration = try sandbox.load(toml)
        let engine = Engine(
            configuration: configuration, store: try Outbox(sqlitePath: configuration.storePath),
            renderer: try Renderer(configuration: configuration),
            transports: Transports(pools: [.email: email, .webhook: webhook]), logger: Logger(label: "test"))
        prepare(engine)
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        let due = try engine.store.messages(matching: MessageFilter(states: [.scheduled])).filter { $0.dueAt <= now }
        try #require(due.filter { $0.channel == .email }.count == 6 && due.filter { $0.channel == .webhook }.count == 6)
        return engine
    }

    @Test func aSlowWebhookConsumerDoesNotHoldUpEmail() throws {
        let sandbox = Sandbox()
        let emailLog = TimedTransport.Log()
        let hookLog = TimedTransport.Log()
        let engine = try engine(
            sandbox, email: [TimedTransport("email", delay: .zero, log: emailLog)],
            webhook: [TimedTransport("hook", delay: .milliseconds(300), log: hookLog)])
        let report = try engine.dispatch(now: { [now] in now })
        #expect(report.sent == 12)
        let emailStarts = emailLog.starts.withLock { $0 }
        let hookStarts = hookLog.starts.withLock { $0 }
        #expect(emailStarts.count == 6 && hookStarts.count == 6)
        // All six emails went while the webhook consumer was still on its first or second.
        #expect(emailStarts.max()! < hookStarts.sorted()[1], "email waited behind the slow consumer")
    }

    @Test func eachChannelSendsOnAsManyConnectionsAsItsConcurrency() throws {
        let sandbox = Sandbox()
        let hookLog = TimedTransport.Log()
        let pool = (1...3).map { _ in TimedTransport("hook", delay: .milliseconds(300), log: hookLog) }
        let engine = try engine(
            sandbox, email: [TimedTransport("email", delay: .zero, log: .init())], webhook: pool)
        let started = ContinuousClock.now
        let report = try engine.dispatch(now: { [now] in now })
        let elapsed = ContinuousClock.now - started
        #expect(report.sent == 12)
        #expect(hookLog.inFlight.withLock { $0.most } == 3)
        #expect(elapsed < .milliseconds(6 * 300), "six 300 ms sends on three connections took \(elapsed)")
        #expect(Set(hookLog.delivered.withLock { $0 }).count == 6, "a message was sent twice")
    }

    @Test func ratePerSecondPacesTheStarts() throws {
        let sandbox = Sandbox()
        let emailLog = TimedTransport.Log()
        let pool = (1...2).map { _ in TimedTransport("email", delay: .zero, log: emailLog) }
        let engine = try engine(
            sandbox, email: pool, webhook: [TimedTransport("hook", delay: .zero, log: .init())],
            emailLimits: "rate_per_second = 4")
        #expect(engine.configuration.deliveryLimits[.email]?.perSecond == 4)
        let report = try engine.dispatch(now: { [now] in now })
        #expect(report.sent == 12)
        let starts = emailLog.starts.withLock { $0 }.sorted()
        // A burst of four (one second's worth), then one every 250 ms.
        #expect(starts[3] - starts[0] < .milliseconds(200))
        #expect(starts[5] - starts[0] >= .milliseconds(400), "\(starts.map { $0 - starts[0] })")
    }

    @Test func aStopIsHeardWhileWaitingForThePace() throws {
        let sandbox = Sandbox()
        let emailLog = TimedTransport.Log()
        let engine = try engine(
            sandbox, email: [TimedTransport("email", delay: .zero, log: emailLog)],
            webhook: [TimedTransport("hook", delay: .zero, log: .init())], emailLimits: "rate_per_second = 0.25")
        // One email may start at once; the next only after 4 s. The stop comes after 200 ms.
        let started = ContinuousClock.now
        let report = try engine.dispatch(
            now: { [now] in now }, shouldStop: { ContinuousClock.now - started > .milliseconds(200) })
        #expect(ContinuousClock.now - started < .seconds(2), "the stop waited for the pace")
        #expect(emailLog.delivered.withLock { $0.count } == 1)
        #expect(report.sent >= 1)
        let waiting = try engine.store.messages(matching: MessageFilter(states: [.scheduled])).filter {
            $0.channel == .email && $0.dueAt <= now
        }
        #expect(waiting.count == 5, "unclaimed emails stay scheduled")
    }

    @Test func ratePerHourLeavesTheRestInTheOutbox() throws {
        let sandbox = Sandbox()
        let emailLog = TimedTransport.Log()
        let engine = try engine(
            sandbox, email: [TimedTransport("email", delay: .zero, log: emailLog)],
            webhook: [TimedTransport("hook", delay: .zero, log: .init())], emailLimits: "rate_per_hour = 2")
        let started = ContinuousClock.now
        let report = try engine.dispatch(now: { [now] in now })
        #expect(ContinuousClock.now - started < .seconds(3), "the pass waited for the hour to pass")
        #expect(report.sent == 8)
        let waiting = try engine.store.messages(matching: MessageFilter(states: [.scheduled])).filter {
            $0.channel == .email && $0.dueAt <= now
        }
        #expect(waiting.count == 4)
        #expect(waiting.allSatisfy { $0.attempts == 0 })
        // The cap holds across passes.
        let again = try engine.dispatch(now: { [now] in now })
        #expect(again.sent == 0)
    }

    @Test func noSendStartsAfterTheBudgetAndTheRestGoesBackUncounted() throws {
        let sandbox = Sandbox()
        let hookLog = TimedTransport.Log()
        let engine = try engine(
            sandbox, email: [TimedTransport("email", delay: .zero, log: .init())],
            webhook: [TimedTransport("hook", delay: .milliseconds(400), log: hookLog)])
        let report = try engine.dispatch(now: { [now] in now }, budget: .milliseconds(100))
        #expect(report.interrupted)
        #expect(hookLog.delivered.withLock { $0.count } == 1)
        #expect(try engine.store.messages(matching: MessageFilter(states: [.sending])).isEmpty)
        let back = try engine.store.messages(matching: MessageFilter(states: [.scheduled])).filter {
            $0.channel == .webhook && $0.dueAt <= now
        }
        #expect(back.count == 5)
        #expect(back.allSatisfy { $0.attempts == 0 })
    }

    @Test func aStoreThatCannotBeWrittenStopsSendingAndMarksNothingSent() throws {
        let sandbox = Sandbox()
        let emailLog = TimedTransport.Log()
        let hookLog = TimedTransport.Log()
        let readOnly = Mutex<Outbox?>(nil)
        // After the first email is handed over, the store turns read-only (SQLite's
        // query_only: every write fails with SQLITE_READONLY, as on a read-only file system).
        let flip: @Sendable () -> Void = {
            readOnly.withLock { store in
                if let outbox = store.take() {
                    try! outbox.simulateReadOnly(true)
                }
            }
        }
        let engine = try engine(
            sandbox, email: [TimedTransport("email", delay: .zero, log: emailLog, afterDelivery: flip)],
            webhook: [TimedTransport("hook", delay: .milliseconds(50), log: hookLog)])
        let outbox = try #require(engine.store as? Outbox)
        readOnly.withLock { $0 = outbox }
        let error = #expect(throws: StoreError.self) { try engine.dispatch(now: { [now] in now }) }
        #expect(error?.code == .unwritable, "\(String(describing: error))")
        #expect(error?.detail.contains("read-only") == true, "\(String(describing: error))")
        let handedOver = emailLog.delivered.withLock { $0 } + hookLog.delivered.withLock { $0 }
        // One send per worker at most after the failure: here one email and one webhook.
        #expect(handedOver.count <= 2, "\(handedOver)")
        #expect(try engine.store.messages(matching: MessageFilter(states: [.sent])).isEmpty)

        // Writable again: after the leases expire everything goes out, the repeats carrying
        // their ids.
        try outbox.simulateReadOnly(false)
        let later = now.addingTimeInterval(engine.configuration.leaseSeconds + 1)
        let report = try engine.dispatch(now: { later })
        #expect(report.sent == 12)
        let all = emailLog.delivered.withLock { $0 } + hookLog.delivered.withLock { $0 }
        #expect(Set(all).count == 12)
        #expect(all.count - 12 == handedOver.count, "only the unrecorded sends repeat")
        #expect(try engine.store.messages(matching: MessageFilter(states: [.sent])).count == 12)
    }

    @Test func aPlanStoredInChunksStoresTheSameAsInOne() throws {
        let whole = Sandbox()
        let chunked = Sandbox()
        let transport = TimedTransport("t", delay: .zero, log: .init())
        let one = try engine(whole, email: [transport], webhook: [transport])
        let many = try engine(chunked, email: [transport], webhook: [transport]) { $0.planChunk = 5 }
        let expected = try one.store.messages(matching: MessageFilter()).map { "\($0.id) \($0.state) \($0.dueAt)" }
        let stored = try many.store.messages(matching: MessageFilter()).map { "\($0.id) \($0.state) \($0.dueAt)" }
        #expect(expected.count > 10)
        #expect(stored == expected)
        // The audit trail has one "plan" event per message, whatever the chunking.
        let first = try #require(try many.store.messages(matching: MessageFilter()).first)
        #expect(try many.store.events(messageID: first.id).map(\.action) == ["plan"])
    }

    @Test func limitsAreReadFromTheConfiguration() throws {
        let sandbox = Sandbox()
        let toml = sandbox.config().replacingOccurrences(
            of: "maildir = \"state/hooks\"",
            with: "maildir = \"state/hooks\"\nconcurrency = 8\nrate_per_second = 2.5\nrate_per_hour = 5000")
        let configuration = try sandbox.load(toml)
        #expect(configuration.deliveryLimits[.webhook] == DeliveryLimits(concurrency: 8, perSecond: 2.5, perHour: 5000))
        #expect(configuration.deliveryLimits[.email] == DeliveryLimits())
        #expect(try Transports(configuration: configuration).pools[.webhook]?.count == 8)
        let bad = sandbox.config().replacingOccurrences(
            of: "maildir = \"state/mail\"",
            with: "maildir = \"state/mail\"\nconcurrency = 0\nrate_per_second = \"fast\"")
        let errors = sandbox.errors(bad)
        #expect(errors.contains { $0.contains("email.concurrency") && $0.contains("out of range") }, "\(errors)")
        #expect(errors.contains { $0.contains("email.rate_per_second") && $0.contains("expected a number") })
    }
}
