import Foundation
import Logging
import RapportCore
import RapportDaemon
import RapportDelivery
import RapportStore
import Synchronization
import Testing

/// A transport that answers from a script: logic tests of the dispatcher only. The real
/// transports are tested against real servers in RapportDeliveryTests and RapportCLITests.
final class ScriptedTransport: Transport {
    let name = "scripted"
    private let answers: Mutex<[Result<String, DeliveryError>]>
    let delivered = Mutex<[String]>([])

    init(_ answers: [Result<String, DeliveryError>]) { self.answers = Mutex(answers) }

    func deliver(_ envelope: Envelope, at date: Date) throws(DeliveryError) -> DeliveryReceipt {
        let answer = answers.withLock { $0.isEmpty ? .success("250 OK") : $0.removeFirst() }
        switch answer {
        case .success(let detail):
            delivered.withLock { $0.append(envelope.messageID) }
            return DeliveryReceipt(detail: detail, latency: .milliseconds(1))
        case .failure(let error):
            throw error
        }
    }
}

@Suite struct EngineTests {
    let now = try! Date("2026-12-07T10:00:00Z", strategy: .iso8601)

    func engine(
        _ sandbox: Sandbox, transport: ScriptedTransport, extra: String = "", progressChannel: String = "email",
        planning: String = ""
    ) throws -> Engine {
        sandbox.write("contacts.json", sampleContacts)
        // Progress reports at 10:00, so that at `now` (Monday 10:00 London) both Ada's overdue
        // check-in and her weekly report are due.
        let configuration = try sandbox.load(
            sandbox.config(
                "[planning]\nstagger_minutes = 0\n\(planning)[rules.progress]\nsend_at = \"10:00\"\n"
                    + "channel = \"\(progressChannel)\"\n" + extra))
        return Engine(
            configuration: configuration, store: try Outbox(sqlitePath: configuration.storePath),
            renderer: try Renderer(configuration: configuration),
            transports: Transports(email: transport, webhook: transport), logger: Logger(label: "test"),
            jitter: { 1.0 })
    }

    @Test func dueMessagesAreSentOnceAndRecorded() throws {
        let sandbox = Sandbox()
        let transport = ScriptedTransport([])
        let engine = try engine(sandbox, transport: transport)
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        let first = try engine.dispatch(now: { now })
        #expect(first.sent == 2)  // Ada's overdue check-in and Monday's progress report
        let again = try engine.dispatch(now: { now })
        #expect(again.attempted == 0)
        #expect(Set(transport.delivered.withLock { $0 }).count == 2)
        let sent = try engine.store.messages(matching: MessageFilter(states: [.sent]))
        #expect(sent.count == 2)
        #expect(try engine.store.attempts(messageID: sent[0].id).first?.detail == "250 OK")
    }

    @Test func transientFailuresBackOffAndPermanentOnesFail() throws {
        let sandbox = Sandbox()
        let transport = ScriptedTransport([
            .failure(DeliveryError(kind: .transient, detail: "451 try later")),
            .failure(DeliveryError(kind: .permanent, detail: "550 no such user")),
        ])
        let engine = try engine(
            sandbox, transport: transport, extra: "[daemon]\nretry_base_seconds = 60\nmax_attempts = 2")
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        let report = try engine.dispatch(now: { now })
        #expect(report.retrying == 1)
        #expect(report.failed == 1)
        let waiting = try #require(try engine.store.messages(matching: MessageFilter(states: [.retryWait])).first)
        #expect(waiting.nextAttemptAt == now.addingTimeInterval(60))
        #expect(waiting.lastError == "451 try later")
        #expect(
            try engine.store.messages(matching: MessageFilter(states: [.failed])).first?.lastError == "550 no such user"
        )
        // Not before its time; then the retry succeeds.
        #expect(try engine.dispatch(now: { now.addingTimeInterval(30) }).attempted == 0)
        #expect(try engine.dispatch(now: { now.addingTimeInterval(61) }).sent == 1)
    }

    @Test func aGoneEndpointHoldsItsChannelUntilReleased() throws {
        let sandbox = Sandbox()
        let gone = DeliveryError(kind: .permanent, detail: "HTTP 410: endpoint removed", endpointGone: true)
        let transport = ScriptedTransport([.failure(gone)])
        let engine = try engine(
            sandbox, transport: transport,
            extra: "[daemon]\nbatch_size = 1\n[rules.checkin]\nchannel = \"webhook\"", progressChannel: "webhook")
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        let report = try engine.dispatch(now: { now })
        #expect(report.attempted == 1, "after a 410 nothing more goes to the endpoint")
        let held = try engine.store.messages(matching: MessageFilter(states: [.held]))
        #expect(held.count >= 2, "the refused message and the other webhook messages are held: \(held.map(\.id))")
        #expect(held.allSatisfy { $0.lastError == "HTTP 410: endpoint removed" })
        let events = try engine.store.events(messageID: held[0].id)
        #expect(events.contains { $0.action == "hold" && $0.note?.contains("endpoint gone") == true }, "\(events)")
        #expect(try engine.dispatch(now: { now.addingTimeInterval(3600) }).attempted == 0)
    }

    @Test func theDefaultRetryScheduleIsStandardWebhooks() throws {
        let policy = RetryPolicy()
        #expect(policy.maxAttempts == 10)
        let waits = (1...9).map { policy.delay(afterAttempt: $0, jitter: 1.0) }
        #expect(
            waits == [
                .seconds(5), .seconds(300), .seconds(1800), .seconds(7200), .seconds(18_000), .seconds(36_000),
                .seconds(50_400), .seconds(72_000), .seconds(86_400),
            ])
        #expect(policy.delay(afterAttempt: 1, jitter: 1.2) == .seconds(6))
        #expect(policy.delay(afterAttempt: 1, jitter: 5) == .seconds(6), "jitter is bounded to ±20%")
        let sandbox = Sandbox()
        let custom = try sandbox.load(sandbox.config("[daemon]\nretry_schedule = [\"30s\", \"2m\", \"1h\"]"))
        #expect(custom.retry.schedule == [.seconds(30), .seconds(120), .seconds(3600)])
        #expect(custom.retry.maxAttempts == 4)
        let errors = sandbox.errors(
            sandbox.config("[daemon]\nretry_schedule = [\"30s\", \"soon\"]\nretry_base_seconds = 5"))
        #expect(errors.contains { $0.contains("daemon.retry_schedule: 'soon' is not a wait such as") }, "\(errors)")
        let both = sandbox.errors(sandbox.config("[daemon]\nretry_schedule = [\"30s\"]\nretry_base_seconds = 5"))
        #expect(both.contains { $0.contains("give either retry_schedule or retry_base_seconds") }, "\(both)")
    }

    @Test func attemptsRunOutIntoFailed() throws {
        let sandbox = Sandbox()
        let busy = DeliveryError(kind: .transient, detail: "421 busy")
        let transport = ScriptedTransport(Array(repeating: .failure(busy), count: 10))
        let engine = try engine(
            sandbox, transport: transport, extra: "[daemon]\nretry_base_seconds = 1\nmax_attempts = 2\nbatch_size = 1")
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        _ = try engine.dispatch(now: { now })
        _ = try engine.dispatch(now: { now.addingTimeInterval(3600) })
        let failed = try engine.store.messages(matching: MessageFilter(states: [.failed]))
        #expect(failed.count == 2)
        #expect(failed.allSatisfy { $0.lastError == "gave up after 2 attempts: 421 busy" })
    }

    @Test func stoppingReleasesWhatWasClaimedButNotSent() throws {
        let sandbox = Sandbox()
        let transport = ScriptedTransport([])
        let engine = try engine(sandbox, transport: transport)
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        let dueBefore = try engine.store.messages(matching: MessageFilter(states: [.scheduled])).filter {
            $0.dueAt <= now
        }.count
        #expect(dueBefore >= 2)
        // Both due messages go by email (one worker): the stop comes once the first is sent.
        let report = try engine.dispatch(
            now: { now }, shouldStop: { transport.delivered.withLock { !$0.isEmpty } })
        #expect(report.sent == 1)
        #expect(report.interrupted)
        #expect(try engine.store.messages(matching: MessageFilter(states: [.sending])).isEmpty)
        // Claimed but never started: back in the outbox, the claim not counted as an attempt.
        let returned = try engine.store.messages(matching: MessageFilter(states: [.scheduled])).filter {
            $0.dueAt <= now
        }
        #expect(returned.count == dueBefore - 1)
        #expect(returned.allSatisfy { $0.attempts == 0 })
        #expect(try engine.store.messages(matching: MessageFilter(states: [.retryWait])).isEmpty)
    }

    @Test func aBrokenDataFileKeepsTheLastGoodSnapshotAndTheOutbox() throws {
        let sandbox = Sandbox()
        let engine = try engine(sandbox, transport: ScriptedTransport([]))
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        let before = try engine.store.messages(matching: MessageFilter()).map(\.id)
        sandbox.write("contacts.json", "[{\"id\": \"c1\", \"kind\": \"robot\", \"timezone\": \"UTC\"}]")
        #expect(throws: DataErrors.self) { try engine.reloadDataIfChanged() }
        #expect(engine.snapshot?.contacts.count == 2)
        let report = try engine.plan(now: now)
        #expect(report.planned.cancellations == 0)
        #expect(try engine.store.messages(matching: MessageFilter()).map(\.id) == before)
        // The same broken file is not re-read (and re-reported) on every tick.
        #expect(try engine.reloadDataIfChanged() == false)
    }

    /// With no snapshot loaded, a full plan reads the file as it plans, keeping no snapshot,
    /// and stores what a plan of the loaded snapshot stores, whether the file is in id order
    /// or not. A revalidation (SIGHUP) drops a snapshot held; a broken file is an error that
    /// plans and changes nothing.
    @Test(arguments: [false, true])
    func aPlanWithoutASnapshotReadsTheFileAsItPlans(reversed: Bool) throws {
        let loadedSandbox = Sandbox()
        let loaded = try engine(loadedSandbox, transport: ScriptedTransport([]))
        try loaded.reloadDataIfChanged()
        _ = try loaded.plan(now: now)
        let expected = try loaded.store.messages(matching: MessageFilter()).map { "\($0.id) \($0.content.subject)" }
        #expect(expected.count >= 2)

        let sandbox = Sandbox()
        let objects = try #require(
            try JSONSerialization.jsonObject(with: Data(sampleContacts.utf8)) as? [[String: Any]])
        var lines = try objects.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
        if reversed { lines.reverse() }
        sandbox.write("contacts.jsonl", lines.joined(separator: "\n") + "\n")
        let configuration = try sandbox.load(
            sandbox.config(
                data: "contacts.jsonl",
                "[planning]\nstagger_minutes = 0\n[rules.progress]\nsend_at = \"10:00\"\nchannel = \"email\"\n"))
        let transport = ScriptedTransport([])
        let streamed = Engine(
            configuration: configuration, store: try Outbox(sqlitePath: configuration.storePath),
            renderer: try Renderer(configuration: configuration),
            transports: Transports(email: transport, webhook: transport), logger: Logger(label: "test"),
            jitter: { 1.0 })
        _ = try streamed.plan(now: now)
        #expect(streamed.snapshot == nil)
        #expect(
            try streamed.store.messages(matching: MessageFilter()).map { "\($0.id) \($0.content.subject)" } == expected)

        try streamed.reloadDataIfChanged()
        #expect(streamed.snapshot != nil)
        try streamed.revalidateData()
        #expect(streamed.snapshot == nil)
        sandbox.write("contacts.jsonl", lines.joined(separator: "\n") + "\n{\"id\": \"c9\", \"kind\": \"robot\"}\n")
        #expect(throws: DataErrors.self) { try streamed.revalidateData() }
        #expect(throws: DataErrors.self) { _ = try streamed.plan(now: now.addingTimeInterval(3_600)) }
        #expect(
            try streamed.store.messages(matching: MessageFilter()).map { "\($0.id) \($0.content.subject)" } == expected)
    }

    @Test func changedDataRerendersOpenMessages() throws {
        let sandbox = Sandbox()
        // Every message of the horizon rendered at once, to see each rendered again.
        let engine = try engine(sandbox, transport: ScriptedTransport([]), planning: "render_ahead_hours = 744\n")
        try engine.reloadDataIfChanged()
        let early = try Date("2026-11-23T12:00:00Z", strategy: .iso8601)
        _ = try engine.plan(now: early)
        sandbox.write(
            "contacts.json", sampleContacts.replacingOccurrences(of: "\"progress\": 40", with: "\"progress\": 55"))
        #expect(try engine.reloadDataIfChanged())
        let report = try engine.plan(now: early)
        #expect(report.applied.refreshed >= 2)  // the check-in lists projects; every report shows progress
        let reports = try engine.store.messages(matching: MessageFilter(contactID: "c1")).filter {
            $0.rule.kind == .progress
        }
        #expect(!reports.isEmpty)
        #expect(reports.allSatisfy { $0.content.subject == "Pension review: 55% complete" })
    }

    @Test func messagesDueBeyondTheRenderWindowAreRenderedAsTheyComeNear() throws {
        let sandbox = Sandbox()
        let transport = ScriptedTransport([])
        let engine = try engine(sandbox, transport: transport, planning: "render_ahead_hours = 24\n")
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        let window = now.addingTimeInterval(24 * 3_600)
        let open = try engine.store.messages(matching: MessageFilter(states: [.scheduled]))
        let far = open.filter { $0.dueAt > window }
        #expect(far.count >= 3, "\(open.map(\.dueAt))")
        #expect(open.filter { $0.dueAt <= window }.allSatisfy { $0.content.isRendered })
        // Stored with time and recipient only: no subject, text or digest, but who it is for.
        for message in far {
            #expect(!message.content.isRendered && message.content.subject.isEmpty && message.content.text.isEmpty)
            #expect(message.content.recipientAddress != nil)
            let contact = try JSONDecoder().decode(ContactPayload.self, from: Data(message.content.contactJSON.utf8))
            #expect(contact.id == message.contactID)
        }

        // Never claimed unrendered, even when an operator makes it due now.
        let target = try #require(far.first { $0.rule.kind == .progress })
        _ = try engine.store.perform(.sendNow, on: [target.id], actor: "ops", note: nil, at: now)
        _ = try engine.dispatch(now: { now })
        #expect(!transport.delivered.withLock { $0.contains(target.id) })
        // The next plan renders it, with no audit entry of its own, and then it is sent.
        let report = try engine.plan(now: now)
        #expect(report.applied.rendered == 1)
        let rendered = try #require(try engine.store.message(id: target.id))
        #expect(rendered.content.isRendered && rendered.content.subject == "Pension review: 40% complete")
        let events = try engine.store.events(messageID: target.id)
        #expect(events.map(\.action) == ["plan", "send-now"], "\(events)")
        _ = try engine.dispatch(now: { now })
        #expect(transport.delivered.withLock { $0.contains(target.id) })

        // Six days on, what came within the window is rendered; what is beyond is still not.
        let later = now.addingTimeInterval(6 * 86_400)
        let next = try engine.plan(now: later)
        #expect(next.applied.rendered >= 1)
        let stillOpen = try engine.store.messages(matching: MessageFilter(states: [.scheduled]))
        for message in stillOpen {
            #expect(message.content.isRendered == (message.dueAt <= later.addingTimeInterval(24 * 3_600)))
        }
    }

    @Test func severalSendsPerCommitRecordEveryOutcomeByTheEndOfThePass() throws {
        let sandbox = Sandbox()
        // Three sends per commit, two due messages and a transient failure among them.
        let transport = ScriptedTransport([
            .success("250 OK"), .failure(DeliveryError(kind: .transient, detail: "451 busy")),
        ])
        let engine = try engine(sandbox, transport: transport, planning: "[daemon]\nsends_per_commit = 3\n")
        #expect(engine.configuration.sendsPerCommit == 3)
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        let report = try engine.dispatch(now: { now })
        #expect(report.sent == 1 && report.retrying == 1)
        // Nothing is left claimed: both outcomes were committed before the pass returned.
        let states = try engine.store.messages(matching: MessageFilter(states: [.sent, .retryWait, .sending]))
        #expect(states.map(\.state).sorted { $0.rawValue < $1.rawValue } == [.retryWait, .sent])
        #expect(try engine.store.attempts(messageID: states[0].id).count == 1)
    }

    @Test func messagesThatNeedApprovalAreRenderedAtOnce() throws {
        let sandbox = Sandbox()
        let engine = try engine(
            sandbox, transport: ScriptedTransport([]), extra: "require_approval = true\n",
            planning: "render_ahead_hours = 1\n")
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        let reports = try engine.store.messages(matching: MessageFilter(ruleKind: .progress))
        #expect(reports.count >= 3)
        #expect(reports.allSatisfy { $0.content.isRendered && $0.state == .pendingApproval })
    }

    @Test func contactJSONReadsBackAsWritten() throws {
        let tricky = "Quote \" back\\slash / slash\nnew\rline\ttab \u{1}\u{1F} é 日本 🚀"
        let payloads = [
            ContactPayload(
                id: "c\"1", name: tricky, email: "a@example.com", kind: "client", timezone: "Europe/London",
                tier: "gold", tags: ["x", tricky, ""], accountManager: .init(name: tricky, email: "m@example.com"),
                language: "pt-br"),
            ContactPayload(
                id: "k1", name: "", email: nil, kind: "customer", timezone: "UTC", tier: nil, tags: [],
                accountManager: .init(name: "M", email: nil)),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for payload in payloads {
            let written = payload.json
            #expect(try JSONDecoder().decode(ContactPayload.self, from: Data(written.utf8)) == payload)
            // The same document JSONEncoder writes, key for key and value for value.
            let ours = try JSONSerialization.jsonObject(with: Data(written.utf8)) as? NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: encoder.encode(payload)) as? NSDictionary
            #expect(ours != nil && ours == theirs, "\(written)")
        }
    }
}
