import Foundation
import RapportCore
import RapportStore
import Testing

@Suite struct ConsentStoreTests {
    /// Inserts messages whose content names the contact and their address, as real ones do.
    func insertPersonal(_ planned: [PlannedMessage], into store: Outbox) throws {
        var changes = OutboxChanges()
        changes.insertions = planned.map { message in
            let contact = message.contact
            return NewMessage(
                planned: message,
                content: MessageContent(
                    sender: "Firm <firm@example.com>", recipientName: contact.name, recipientAddress: contact.email,
                    replyTo: nil, subject: "Hello \(contact.name)",
                    text: "Dear \(contact.name), write to \(contact.email!)",
                    html: "<p>Dear \(contact.name)</p>", contactJSON: "{\"email\":\"\(contact.email!)\"}",
                    sourceHash: "h",
                    unsubscribeURL: message.rule.kind == .promotion ? "https://x.example/unsubscribe/t" : nil),
                requiresApproval: false)
        }
        try store.apply(changes, actor: "planner", at: Sample.now)
    }

    @Test(arguments: Backend.available) func anOptOutCancelsOpenPromotionsOnlyAndIsPlannedAround(backend: Backend)
        throws
    {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let promotion = Sample.planned("k-1", rule: .campaign("spring"), due: Sample.now.addingTimeInterval(3_600))
        let later = Sample.planned("k-1", rule: .campaign("summer"), due: Sample.now.addingTimeInterval(86_400))
        let checkin = Sample.planned("k-1", rule: .checkin)
        let other = Sample.planned("k-2", rule: .campaign("spring"))
        try insertPersonal([promotion, later, checkin, other], into: store)
        #expect(try store.message(id: promotion.id)?.content.unsubscribeURL == "https://x.example/unsubscribe/t")

        let cancelled = try store.recordOptOut(
            OptOut(contactID: "k-1", at: Sample.now, source: "link", actor: "unsubscribe-link", note: nil))
        #expect(Set(cancelled) == [promotion.id, later.id])
        #expect(try store.message(id: promotion.id)?.state == .cancelled)
        #expect(try store.message(id: promotion.id)?.reason.contains("opted out") == true)
        #expect(try store.message(id: checkin.id)?.state == .scheduled, "client messages are not promotions")
        #expect(try store.message(id: other.id)?.state == .scheduled, "another contact is untouched")
        #expect(try store.planningState().history.optedOut == ["k-1"])
        // Again: idempotent, nothing more to cancel.
        #expect(
            try store.recordOptOut(OptOut(contactID: "k-1", at: Sample.now, source: "link", actor: "x", note: nil))
                .isEmpty)
        #expect(try store.optOuts().map(\.contactID) == ["k-1"])
        let events = try store.auditEvents(matching: AuditFilter(operatorsOnly: false, contactID: "k-1"))
        #expect(events.contains { $0.action == "opt-out" })

        #expect(try store.clearOptOut(contactID: "k-1", actor: "mary", at: Sample.now))
        #expect(try !store.clearOptOut(contactID: "k-1", actor: "mary", at: Sample.now))
        #expect(try store.planningState().history.optedOut.isEmpty)
    }

    /// SQLite: not in the file's bytes, free pages and log included. PostgreSQL: not in any
    /// row (its files are the server's; VACUUM reclaims dead tuples).
    @Test(arguments: Backend.available) func forgetLeavesNoTraceOfTheAddress(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let address = "ada.forgotten@example.com"
        var planned = Sample.planned("c-9", rule: .checkin, due: Sample.now.addingTimeInterval(86_400))
        planned.contact.email = address
        planned.contact.name = "Ada Forgotten"
        var sent = Sample.planned("c-9", rule: .checkin, occurrence: "earlier", due: Sample.now.addingTimeInterval(-60))
        sent.contact = planned.contact
        try insertPersonal([planned, sent], into: store)
        let claimed = try store.claimDue(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60)
        #expect(claimed.map(\.id) == [sent.id])
        try store.record(
            .failed(detail: "550 5.1.1 <\(address)>: Recipient address rejected"), for: sent.id, owner: "d",
            transport: "smtp", startedAt: Sample.now, latency: .zero, at: Sample.now)
        try store.recordTouchpoint(
            Touchpoint(
                contactID: "c-9", at: Sample.now, note: "lunch with Ada Forgotten", actor: "mary",
                recordedAt: Sample.now))
        _ = try store.perform(
            .hold, on: [planned.id], actor: "mary", note: "Ada Forgotten asked to wait", at: Sample.now)
        try store.checkpoint(truncate: false)
        #expect(try fileBytes(temporary).contains(Array(address.utf8)), "the test must see the address before")

        let report = try store.forget(contactID: "c-9", address: nil, actor: "dpo", at: Sample.now)
        #expect(report.messages == 2 && report.cancelled == 1 && report.attempts == 1 && report.touchpoints == 1)
        #expect(report.pseudonym == Outbox.pseudonym(for: "c-9"))
        for needle in [address, "Ada Forgotten", "ada.forgotten"] {
            #expect(!(try fileBytes(temporary).contains(Array(needle.utf8))), "\(needle) still in the store files")
        }
        let remaining = try store.messages(matching: MessageFilter(contactID: report.pseudonym))
        #expect(remaining.count == 2 && remaining.allSatisfy { $0.state.isFinal })
        #expect(try store.messages(matching: MessageFilter(contactID: "c-9")).isEmpty)
        // The address stays suppressed, as its hash only.
        let suppressions = try store.suppressions()
        #expect(suppressions.map(\.addressHash) == [SuppressedAddress.hash(address)], "\(suppressions)")
        #expect(suppressions.first?.address == nil && suppressions.first?.source == "erasure")
        #expect(try store.planningState().history.suppressed == [SuppressedAddress.hash("  ADA.Forgotten@example.com")])
        let trail = try store.auditEvents(matching: AuditFilter(operatorsOnly: false, contactID: report.pseudonym))
        #expect(trail.contains { $0.action == "forget" && $0.actor == "dpo" })
        // The audit trail is append-only again afterwards.
        #expect(throws: (any Error).self) {
            try store.executeForTesting("UPDATE event SET note = 'x'")
        }
    }

    @Test(arguments: Backend.available) func aSuppressionCancelsOpenEmailToTheAddressOnly(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let checkin = Sample.planned("c-1", rule: .checkin)
        var hook = Sample.planned("c-1", rule: .progress(project: "p"))
        hook.channel = .webhook
        let other = Sample.planned("c-2", rule: .checkin)
        try insertPersonal([checkin, hook, other], into: store)

        let cancelled = try store.suppress(
            address: " C-1@Example.com ", keepAddress: true, reason: "550 no such user", source: "smtp",
            actor: "rapport", at: Sample.now)
        #expect(cancelled == [checkin.id], "only the open email message to that address")
        #expect(try store.message(id: checkin.id)?.reason.contains("address suppressed (smtp)") == true)
        #expect(try store.message(id: hook.id)?.state == .scheduled, "a webhook does not go to the address")
        #expect(try store.message(id: other.id)?.state == .scheduled)
        #expect(try store.suppressions().map(\.address) == ["C-1@Example.com"])
        #expect(try store.planningState().history.suppressed == [SuppressedAddress.hash("c-1@example.com")])
        // Suppressing again updates the entry; clearing it works once.
        #expect(
            try store.suppress(
                address: "c-1@example.com", keepAddress: true, reason: "operator", source: "operator", actor: "mary",
                at: Sample.now
            ).isEmpty)
        #expect(try store.suppressions().count == 1)
        #expect(try store.unsuppress(address: "c-1@EXAMPLE.com", actor: "mary", at: Sample.now))
        #expect(try !store.unsuppress(address: "c-1@example.com", actor: "mary", at: Sample.now))
        #expect(try store.planningState().history.suppressed.isEmpty)
        let events = try store.auditEvents(matching: AuditFilter(operatorsOnly: false))
        #expect(events.contains { $0.action == "suppress" } && events.contains { $0.action == "unsuppress" })
    }

    @Test(arguments: Backend.available) func bodiesArePurgedAfterRetentionButRowsStay(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        let old = Sample.planned(
            "c-1", rule: .checkin, occurrence: "old", due: Sample.now.addingTimeInterval(-100 * 86_400))
        let open = Sample.planned("c-1", rule: .checkin, occurrence: "open", due: Sample.now.addingTimeInterval(86_400))
        try insertPersonal([old, open], into: store)
        _ = try store.claimDue(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60)
        try store.record(
            .delivered(detail: "250 ok"), for: old.id, owner: "d", transport: "smtp",
            startedAt: Sample.now.addingTimeInterval(-95 * 86_400), latency: .zero,
            at: Sample.now.addingTimeInterval(-95 * 86_400))
        #expect(try store.purgeBodies(closedBefore: Sample.now.addingTimeInterval(-96 * 86_400), at: Sample.now) == 0)
        #expect(try store.purgeBodies(closedBefore: Sample.now.addingTimeInterval(-90 * 86_400), at: Sample.now) == 1)
        let purged = try #require(try store.message(id: old.id))
        #expect(purged.state == .sent && purged.content.text.isEmpty && purged.content.html == nil)
        #expect(try store.message(id: open.id)?.content.text.isEmpty == false, "open messages keep their bodies")
        #expect(try store.purgeBodies(closedBefore: Sample.now, at: Sample.now) == 0, "purged once")
    }

    @Test func storeFilesArePrivate() throws {
        let temporary = try TemporaryStore()
        try Sample.insert([Sample.planned("c-1")], into: temporary.store)
        for suffix in ["", "-wal", "-shm"] {
            let path = temporary.directory + "/outbox.sqlite" + suffix
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(path) has mode \(String(mode ?? 0, radix: 8))")
        }
    }

    /// The database file and its write-ahead log, as raw bytes.
    func fileBytes(_ temporary: TemporaryStore) throws -> [UInt8] {
        var bytes: [UInt8] = []
        if temporary.backend == .postgres {
            try temporary.store.exportRows { row in bytes += try JSONEncoder().encode(row) }
            return bytes
        }
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: temporary.directory + "/outbox.sqlite" + suffix) {
                bytes += data
            }
        }
        return bytes
    }
}

extension Array where Element == UInt8 {
    func contains(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        let first = needle[0]
        var index = 0
        while let start = self[index...].firstIndex(of: first), start + needle.count <= count {
            if self[start..<start + needle.count].elementsEqual(needle) { return true }
            index = start + 1
        }
        return false
    }
}
