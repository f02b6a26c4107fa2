import Foundation
import RapportCore
import RapportStore
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several daemons on one store: each message is claimed by exactly one of them.
@Suite struct SharedStoreTests {
    /// Two stores opened on the same database (two daemons), four claiming threads each, 600
    /// due messages: every message is claimed once, none twice, and both daemons get work.
    @Test(arguments: Backend.available) func concurrentClaimersNeverShareAMessage(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let planned = (0..<600).map { Sample.planned(String(format: "c-%03d", $0)) }
        try Sample.insert(planned, into: temporary.store)
        let daemons = [temporary.store, try Outbox(location: temporary.location)]
        let claims = Mutex<[String: [String]]>([:])
        let failures = Mutex<[String]>([])
        @Sendable func claimUntilEmpty(_ store: Outbox, owner: String) {
            // Bounded: at most 200 rounds of up to 5 messages.
            for _ in 0..<200 {
                do {
                    let batch = try store.claimDue(now: Sample.now, limit: 5, owner: owner, leaseSeconds: 60)
                    if batch.isEmpty { break }
                    claims.withLock { $0[owner, default: []] += batch.map(\.id) }
                    usleep(3_000)
                    try store.record(
                        batch.map {
                            RecordedOutcome(
                                .delivered(detail: "ok"), for: $0.id, owner: owner, transport: "test",
                                startedAt: Sample.now, latency: .zero, at: Sample.now)
                        })
                } catch {
                    failures.withLock { $0.append("\(error)") }
                    break
                }
            }
        }
        // Eight threads released together, each "sending" for 3 ms per batch, so that both
        // daemons are claiming at the same time.
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for worker in 0..<8 {
            done.enter()
            Thread {
                start.wait()
                claimUntilEmpty(daemons[worker % 2], owner: "daemon-\(worker % 2)")
                done.leave()
            }.start()
        }
        for _ in 0..<8 { start.signal() }
        done.wait()
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(3) })")
        let all = claims.withLock { $0 }
        let claimed = all.values.flatMap { $0 }
        #expect(claimed.count == planned.count, "claimed \(claimed.count) of \(planned.count)")
        #expect(Set(claimed) == Set(planned.map(\.id)))
        // Sharing the work is what PostgreSQL is for; SQLite serves one daemon (a lock file
        // keeps a second out), and there one store's threads may well take every batch.
        if backend == .postgres {
            #expect(all.count == 2 && all.values.allSatisfy { !$0.isEmpty }, "work went to \(all.mapValues(\.count))")
        }
        #expect(try temporary.store.countsByState() == [.sent: planned.count])
    }
}
