import Foundation
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
    }
}
