import Foundation
import RapportCore
import RapportStore
import Testing

/// Lifecycle events are queued in the transaction of the change they describe, only for
/// subscribed types, and delivered with leases and retries like messages.
@Suite struct LifecycleEventStoreTests {
    func bodies(_ events: [PendingEvent]) throws -> [[String: Any]] {
        try events.map { event in
            try #require(try JSONSerialization.jsonObject(with: Data(event.body.utf8)) as? [String: Any])
        }
    }

    @Test(arguments: Backend.available) func nothingIsQueuedWithoutASubscription(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        try Sample.insert([Sample.planned("a")], into: store)
        let claimed = try store.claimDue(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60)
        try store.record(
            .delivered(detail: "250 OK"), for: claimed[0].id, owner: "d", transport: "smtp", startedAt: Sample.now,
            latency: .milliseconds(5), at: Sample.now)
        #expect(try store.claimEvents(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60).isEmpty)
        #expect(try store.eventCounts().isEmpty)
    }

    @Test(arguments: Backend.available) func subscribedChangesAreQueuedWithTheirMessage(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let store = temporary.store
        try store.subscribe(to: Set(LifecycleEventType.allCases))
        #expect(try store.subscriptions() == Set(LifecycleEventType.allCases))
        let due = Sample.planned("a")
        try Sample.insert([due, Sample.planned("b", due: Sample.now.addingTimeInterval(3600))], into: store)
        let claimed = try store.claimDue(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60)
        try store.record(
            .failed(detail: "550 no such user"), for: claimed[0].id, owner: "d", transport: "smtp",
            startedAt: Sample.now, latency: .milliseconds(5), at: Sample.now)
        _ = try store.suppress(
            address: "someone@example.com", keepAddress: true, reason: "550", source: "smtp", actor: "rapport",
            at: Sample.now)

        let events = try store.claimEvents(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60)
        #expect(
            events.map(\.type) == ["message.scheduled", "message.scheduled", "message.failed", "contact.suppressed"])
        #expect(Set(events.map(\.id)).count == 4)
        #expect(events.allSatisfy { $0.id.hasPrefix("evt_") && $0.attempts == 1 })
        let bodies = try bodies(events)
        let failed = try #require(bodies[2]["data"] as? [String: Any])
        #expect(bodies[2]["type"] as? String == "message.failed")
        #expect(failed["message_id"] as? String == due.id)
        #expect(failed["state"] as? String == "failed")
        #expect(failed["detail"] as? String == "550 no such user")
        #expect((bodies[0]["timestamp"] as? String)?.hasSuffix("Z") == true)
        #expect((bodies[3]["data"] as? [String: Any])?["address"] as? String == "someone@example.com")

        // Claimed events are leased: a second publisher finds nothing until the lease expires.
        #expect(try store.claimEvents(now: Sample.now, limit: 10, owner: "e", leaseSeconds: 60).isEmpty)
        try store.recordEvent(.delivered(detail: "HTTP 204"), for: events[0].id, owner: "d", at: Sample.now)
        let retryAt = Sample.now.addingTimeInterval(5)
        try store.recordEvent(
            .retry(detail: "HTTP 500", retryAt: retryAt), for: events[1].id, owner: "d", at: Sample.now)
        try store.recordEvent(.failed(detail: "HTTP 400"), for: events[2].id, owner: "d", at: Sample.now)
        #expect(try store.claimEvents(now: Sample.now, limit: 10, owner: "d", leaseSeconds: 60).isEmpty)
        let retried = try store.claimEvents(now: retryAt, limit: 10, owner: "d", leaseSeconds: 60)
        #expect(retried.map(\.id) == [events[1].id])
        #expect(retried.first?.attempts == 2)
        #expect(retried.first?.body == events[1].body, "a retry must carry the same bytes")
        let expired = try store.claimEvents(
            now: Sample.now.addingTimeInterval(61), limit: 10, owner: "e", leaseSeconds: 60)
        // The never-recorded event's lease ran out; the retried one is still leased until +65 s.
        #expect(expired.map(\.id) == [events[3].id])
        #expect(try store.eventCounts() == ["sent": 1, "failed": 1, "sending": 2])

        // Unsubscribing stops new events; queued ones stay.
        try store.subscribe(to: [])
        try Sample.insert([Sample.planned("c")], into: store)
        #expect(try store.eventCounts().values.reduce(0, +) == 4)
    }
}
