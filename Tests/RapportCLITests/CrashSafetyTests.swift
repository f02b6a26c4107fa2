import Foundation
import RapportTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension RapportCLITests {
    /// `kill -9` at arbitrary moments: every planned message is sent exactly once, none is lost.
    @Suite struct CrashSafety {
        static let clients = 24
        static let plannedAt = "2026-12-07T10:00:00Z"
        static let runFrom = "2026-12-07T10:00:30Z"

        @Test func killNineLosesNothingAndDuplicatesNothing() throws {
            let scratch = try Scratch("crash")
            let rows = (1...Self.clients).map { clientRow(String(format: "c-%03d", $0), name: "Client \($0)") }
            try scratch.write("contacts.csv", csv(rows))
            let config = try scratch.write(
                "rapport.toml",
                configuration(
                    rest: maildirTransports + """

                        [daemon]
                        tick_seconds = 1
                        batch_size = 5

                        [rules.progress]
                        enabled = false
                        """))

            // Plan on a whole minute: every check-in is due exactly then.
            let plan = try rapport(["plan", "--now", Self.plannedAt, "--config", config])
            try #require(plan.status == 0, "\(plan)")
            let planned = try queue(config: config)
            try #require(planned.count == Self.clients, "\(planned)")
            #expect(planned.allSatisfy { $0.state == "scheduled" && $0.dueAtText == Self.plannedAt }, "\(planned)")
            let plannedIDs = Set(planned.map(\.id))
            let arguments = ["run", "--config", config, "--now", Self.runFrom]
            var logs: [String] = []

            /// Starts the daemon, waits until `kill` says so (at most 10 s), then SIGKILLs it.
            func crashRun(until kill: () -> Bool) throws {
                let daemon = try startRapport(arguments)
                defer { daemon.stop() }
                waitUntil(timeout: .seconds(10), interval: .milliseconds(1)) { kill() || !daemon.isRunning }
                daemon.send(SIGKILL)
                daemon.wait(timeout: .seconds(5))
                logs.append(daemon.stderr)
            }
            func mailCount() -> Int { scratch.files(in: "mail", ext: "eml").count }

            // 1. Killed as soon as the first files appear: mid-dispatch, with a batch claimed.
            try crashRun { mailCount() >= 3 }
            let afterFirst = try queue(config: config)
            #expect(
                afterFirst.contains { $0.state != "sent" },
                "the first kill came too late to test anything: \(afterFirst)")
            // 2. Killed blindly 0.2 s after a restart.
            let started = ContinuousClock.now
            try crashRun { ContinuousClock.now - started >= .milliseconds(200) }
            // 3. Killed again once a couple more files appear (if any are left to send).
            let before = mailCount()
            try crashRun { mailCount() >= min(before + 2, Self.clients) }
            // 4. Restarted and left to finish.
            let daemon = try startRapport(arguments)
            defer { daemon.stop() }
            let openStates: Set<String> = ["scheduled", "sending", "retry_wait"]
            let dueBy = instant("2026-12-07T10:05:00Z")
            var final: [QueueEntry] = []
            let finished = try waitUntil(timeout: .seconds(15), interval: .milliseconds(200)) {
                final = try queue(config: config)
                return !final.contains { openStates.contains($0.state) && $0.dueAt <= dueBy }
            }
            daemon.send(SIGTERM)
            #expect(daemon.wait(timeout: .seconds(5)), "still running 5 s after SIGTERM")
            logs.append(daemon.stderr)
            try #require(
                finished,
                "messages still due after 15 s: \(final.filter { openStates.contains($0.state) })\n\(logs.joined(separator: "\n---\n"))"
            )

            final = try queue(config: config)
            // Nothing lost: every planned message is sent.
            for id in plannedIDs.sorted() {
                let rows = final.filter { $0.id == id }
                #expect(rows.count == 1, "\(id) appears \(rows.count) times")
                #expect(rows.first?.state == "sent", "\(rows)")
            }
            // Nothing duplicated: one sent check-in per client, no other message due now.
            let dueNow = final.filter { $0.dueAt <= dueBy }
            #expect(
                Set(dueNow.map(\.id)) == plannedIDs,
                "unexpected messages due now: \(dueNow.filter { !plannedIDs.contains($0.id) })")
            let sentByContact = Dictionary(grouping: final.filter { $0.state == "sent" }, by: \.contactID)
            #expect(sentByContact.count == Self.clients)
            for (contact, sent) in sentByContact {
                #expect(sent.count == 1, "\(contact) was sent \(sent.count) messages: \(sent)")
            }
            // One file per sent message, each naming its id.
            let sentIDs = Set(final.filter { $0.state == "sent" }.map(\.id))
            let files = scratch.files(in: "mail", ext: "eml")
            #expect(Set(files.map { String($0.dropLast(4)) }) == sentIDs, "files: \(files)")
            #expect(files.count == sentIDs.count)
            for name in files {
                let text = scratch.read("mail/" + name)
                #expect(text.contains("Message-ID: <\(name.dropLast(4))@"), "\(name) is incomplete or wrong")
            }
            // Every message has at least one delivered attempt, recorded once per send.
            for id in plannedIDs.sorted().prefix(3) {
                let show = try rapport(["show", id, "--json", "--config", config])
                let detail = try jsonObject(show.stdout, what: "rapport show --json")
                let attempts = detail["attempts"] as? [[String: Any]] ?? []
                #expect(attempts.filter { $0["outcome"] as? String == "delivered" }.count >= 1, "\(id): \(attempts)")
            }
        }
        /// The crash harness: 2,000 webhook messages, the daemon SIGKILLed 20 times at random
        /// moments of its dispatch (seeded), then left to finish. The sink's record must show
        /// every message at least once, every repeat carrying an id already seen, and no more
        /// repeats than kills × the webhook concurrency (4): a repeat is only ever a send whose
        /// outcome the killed daemon had not committed.
        @Test(.timeLimit(.minutes(4))) func twentyKillsAgainstAWebhookSink() throws {
            try killRepeatedly(kills: 20, sendsPerCommit: 1)
        }

        /// The same with `sends_per_commit = 8`: a worker commits eight outcomes at once, so a
        /// kill may repeat up to eight sends per worker, and still loses none. Paced at 150/s:
        /// unpaced, the first daemon sends nearly everything before it can be killed.
        @Test(.timeLimit(.minutes(4))) func twelveKillsWithEightSendsPerCommit() throws {
            try killRepeatedly(kills: 12, sendsPerCommit: 8, ratePerSecond: 150)
        }

        func killRepeatedly(kills: Int, sendsPerCommit: Int, ratePerSecond: Int? = nil) throws {
            let count = 2_000
            let harness = try WebhookCrashHarness(
                "crash-webhook", messages: count, store: "path = \"state/rapport.sqlite\"", leaseSeconds: 10,
                batchSize: 50, ratePerSecond: ratePerSecond, sendsPerCommit: sendsPerCommit)
            let (sink, config, environment) = (harness.sink, harness.config, harness.environment)
            defer { sink.stop() }

            let logSize = harness.logSize
            var generator = SeededGenerator(seed: 20_261_202)
            var killedMidSend = 0
            var grown: [Int] = []
            var failures: [Substring] = []
            for _ in 0..<kills {
                // Kill after a random amount of progress (1 to 60 requests of about 1 KB), or
                // after 6 s if the daemon is still starting or has nothing left to send.
                let before = logSize()
                let step = Int.random(in: 1_000...60_000, using: &generator)
                let daemon = try startRapport(["run", "--config", config], environment: environment)
                waitUntil(timeout: .seconds(6), interval: .milliseconds(2)) {
                    logSize() >= before + step || !daemon.isRunning
                }
                #expect(daemon.isRunning, "the daemon exited by itself: \(daemon.stderr)")
                if logSize() > before { killedMidSend += 1 }
                grown.append(logSize() - before)
                daemon.send(SIGKILL)
                daemon.wait(timeout: .seconds(5))
                failures += daemon.stderr.split(separator: "\n").filter { $0.contains("delivery failed") }
            }
            // Left to finish: leases of killed daemons expire after 10 s and are sent again.
            let daemon = try startRapport(["run", "--config", config], environment: environment)
            defer { daemon.stop() }
            let (finished, remaining) = try harness.waitUntilAllSent(timeout: .seconds(90))
            daemon.send(SIGTERM)
            #expect(daemon.wait(timeout: .seconds(10)))
            try #require(
                finished,
                "not sent after 90 s: \(remaining.prefix(5)) …\nfailed sends: \(failures.prefix(5))\n\(daemon.stderr.suffix(2_000))"
            )
            if !failures.isEmpty { print("crash harness: \(failures.count) transient failures, e.g. \(failures[0])") }

            let delivery = try harness.expectEveryMessageDelivered(
                repeatsAtMost: kills * 4 * sendsPerCommit, after: "\(kills) kills")
            #expect(
                killedMidSend >= kills / 4,
                "only \(killedMidSend) of \(kills) kills came during a dispatch; bytes logged per run: \(grown)")
            print(
                "crash harness: \(kills) kills (\(killedMidSend) mid-send), \(count) messages, "
                    + "\(sendsPerCommit) sends per commit, \(delivery.lost) lost, \(delivery.duplicates) duplicates; "
                    + "bytes logged per run: \(grown)"
            )
        }
    }
}

/// What a webhook crash harness starts from: `messages` check-ins due now to a real webhook
/// sink (concurrency 4, retried after 1 s), planned and listed.
struct WebhookCrashHarness {
    let scratch: Scratch
    let sink: PeerProcess
    /// The sink's record: a JSON line per request.
    let log: String
    let config: String
    let environment: [String: String]
    /// The ids of the planned webhook messages.
    let planned: Set<String>

    /// `store`: the `[store]` table's line (`path = …` or `url = …`); `ratePerSecond` paces the
    /// webhook sends, to spread them over a known time.
    init(
        _ name: String, messages count: Int, store: String, leaseSeconds: Int, batchSize: Int,
        ratePerSecond: Int? = nil, sendsPerCommit: Int = 1
    ) throws {
        scratch = try Scratch(name)
        let secret = makeWebhookSecret()
        log = scratch.file("hooks.jsonl")
        sink = try PeerProcess(script: "webhook_sink.py", arguments: [log], lifetime: 300)
        let rows = (1...count).map { clientRow(String(format: "c-%04d", $0), name: "Client \($0)") }
        try scratch.write("contacts.csv", csv(rows))
        config = try scratch.write(
            "rapport.toml",
            configuration(
                rest: """
                    [email]
                    transport = "maildir"
                    maildir = "mail"

                    [webhook]
                    transport = "http"
                    url = "http://127.0.0.1:\(sink.port)/ok"
                    secret_env = "RAPPORT_TEST_SECRET"
                    concurrency = 4
                    \(ratePerSecond.map { "rate_per_second = \($0)" } ?? "")

                    [daemon]
                    tick_seconds = 1
                    batch_size = \(batchSize)
                    sends_per_commit = \(sendsPerCommit)
                    lease_seconds = \(leaseSeconds)
                    # A busy test machine can make the sink answer late; such a retry must
                    # not wait the default 5 minutes of the second step.
                    retry_schedule = ["1s"]
                    max_attempts = 100

                    [rules.checkin]
                    channel = "webhook"
                    send_at = "00:00"
                    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                    hours = "00:00-23:59"

                    [rules.progress]
                    enabled = false
                    """
            ).replacingOccurrences(of: "path = \"state/rapport.sqlite\"", with: store))
        environment = ["RAPPORT_TEST_SECRET": secret]
        // Planned as of a minute ago: an overdue check-in takes the next whole-minute slot, so
        // planned now, nothing would be due for up to a minute (daemons started then, and kills
        // meant to come mid-send, would find nothing to send).
        let aMinuteAgo = Date().addingTimeInterval(-60).formatted(.iso8601)
        let plan = try rapport(
            ["plan", "--now", aMinuteAgo, "--config", config], environment: environment, timeout: .seconds(60))
        try #require(plan.status == 0, "\(plan)")
        planned = Set(
            try queue(config: config, environment: environment).filter { $0.channel == "webhook" }.map(\.id))
        try #require(planned.count == count, "planned \(planned.count)")
    }

    /// Polls the queue until every planned message is `sent`, or `timeout` passes; what is left.
    func waitUntilAllSent(timeout: Duration) throws -> (finished: Bool, remaining: [QueueEntry]) {
        var remaining: [QueueEntry] = []
        let finished = try waitUntil(timeout: timeout, interval: .milliseconds(500)) {
            remaining = try queue(config: config, environment: environment).filter {
                planned.contains($0.id) && $0.state != "sent"
            }
            return remaining.isEmpty
        }
        return (finished, remaining)
    }

    /// The sink's record's size in bytes.
    func logSize() -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: log))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// What the sink received, checked as every crash harness checks it: each planned message
    /// at least once, nothing unknown, and no more repeats than `bound` (`cause` says why
    /// repeats were possible, for the failure message).
    struct Delivery {
        var received: Int
        var lost: Int
        var duplicates: Int
    }

    @discardableResult
    func expectEveryMessageDelivered(
        repeatsAtMost bound: Int, after cause: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Delivery {
        let received = try receivedIDs()
        let distinct = Set(received)
        let duplicates = received.count - distinct.count
        #expect(
            distinct == planned,
            "lost: \(planned.subtracting(distinct).count), unknown: \(distinct.subtracting(planned).count)",
            sourceLocation: sourceLocation)
        #expect(duplicates <= bound, "\(duplicates) duplicates after \(cause)", sourceLocation: sourceLocation)
        return Delivery(
            received: received.count, lost: planned.subtracting(distinct).count, duplicates: duplicates)
    }

    /// The `webhook-id` of every request the sink received, repeats included.
    func receivedIDs() throws -> [String] {
        try webhookRecords(at: log).compactMap { ($0["headers"] as? [String: String])?["webhook-id"] }
    }
}
