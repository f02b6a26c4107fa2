import Foundation
import Testing

extension RapportCLITests {
    /// approve, hold, release, cancel: state changes, refusals, exit codes and the audit trail.
    @Suite struct OperatorActions {
        @Test func approveHoldReleaseCancelAreAudited() throws {
            let scratch = try Scratch("actions")
            try scratch.write("contacts.csv", csv([customerRow("c-101", name: "Alan Turing")]))
            let config = try scratch.write(
                "rapport.toml",
                configuration(
                    rest: maildirTransports + """

                        [[campaigns]]
                        name = "winter-sale"
                        starts = 2026-12-01
                        ends = 2026-12-20
                        tags = ["newsletter"]
                        send_at = "11:00"
                        """))
            // Planned only: nothing is due yet, and a promotion waits for approval by default.
            let plan = try rapport(["plan", "--now", "2026-12-07T10:00:00Z", "--config", config])
            try #require(plan.status == 0, "\(plan)")
            let planned = try queue(config: config)
            try #require(planned.count == 1, "\(planned)")
            let message = planned[0]
            #expect(message.state == "pending_approval", "\(message)")
            #expect(message.rule == "campaign:winter-sale")
            #expect(message.dueAtText == "2026-12-07T11:00:00Z")
            let id = message.id

            func act(_ arguments: [String]) throws -> CommandResult {
                try rapport(arguments + ["--as", "alice", "--config", config])
            }
            func state() throws -> String? { try queue(config: config).first { $0.id == id }?.state }

            let approve = try act(["approve", id])
            #expect(approve.status == 0, "\(approve)")
            #expect(try state() == "scheduled")

            let hold = try act(["hold", id])
            #expect(hold.status == 0, "\(hold)")
            #expect(try state() == "held")

            // A unique prefix works as well as the full id.
            let release = try act(["release", String(id.prefix(8))])
            #expect(release.status == 0, "\(release)")
            #expect(try state() == "scheduled")

            let cancel = try act(["cancel", id, "--reason", "x"])
            #expect(cancel.status == 0, "\(cancel)")
            #expect(try state() == "cancelled")

            let again = try act(["cancel", id, "--reason", "x"])
            #expect(again.status == 1, "\(again)")
            #expect(again.errorLines.contains { $0.contains("refused") && $0.contains(id) }, "\(again)")
            #expect(try state() == "cancelled")

            let unknown = try act(["approve", "0000000000000000"])
            #expect(unknown.status == 3, "\(unknown)")
            #expect(unknown.errorLines.count == 1, "\(unknown)")

            let show = try rapport(["show", id, "--json", "--config", config])
            try #require(show.status == 0, "\(show)")
            let detail = try jsonObject(show.stdout, what: "rapport show --json")
            #expect(detail["attempts"] as? [Any] != nil, "show --json must list attempts: \(detail)")
            let audit = try #require(detail["audit"] as? [[String: Any]], "no audit in \(detail)")
            let byAlice = audit.filter { $0["actor"] as? String == "alice" }
            #expect(
                byAlice.map { $0["action"] as? String ?? "?" } == ["approve", "hold", "release", "cancel"], "\(audit)")
            let transitions = byAlice.map { "\($0["from"] as? String ?? "?")→\($0["to"] as? String ?? "?")" }
            #expect(
                transitions == [
                    "pending_approval→scheduled", "scheduled→held", "held→scheduled", "scheduled→cancelled",
                ], "\(audit)")
            #expect(byAlice.last?["note"] as? String == "x", "\(audit)")
            // The refused cancel changed nothing, so it left no state change in the trail.
            #expect(audit.filter { $0["to"] as? String == "cancelled" }.count == 1, "\(audit)")
        }
    }
}
