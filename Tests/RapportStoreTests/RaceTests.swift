import Dispatch
import Foundation
import RapportCore
import RapportStore
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct RaceTests {
    /// An operator's cancel and the dispatcher's claim, from two connections at the same moment:
    /// either the cancel wins and nothing is claimed, or the claim wins and the cancel is refused.
    /// Never both, never neither.
    @Test(arguments: Backend.available) func cancelRacesDispatchWithExactlyTwoOutcomes(backend: Backend) throws {
        let temporary = try TemporaryStore(backend)
        let operatorSide = temporary.store
        let daemonSide = try Outbox(location: temporary.location)
        var cancelWins = 0
        var claimWins = 0
        for round in 0..<150 {
            let planned = Sample.planned("race-\(round)")
            try Sample.insert([planned], into: operatorSide)
            let claimed = Mutex<[StoredMessage]>([])
            let cancelled = Mutex<ActionResult?>(nil)
            // Two rounds in three are a true race (random head start of up to 0.4 ms either way);
            // in the third, one side starts 5 ms late, so that both orders surely occur even when
            // the machine is busy and thread start-up skew swamps the random delays.
            var headStart = [UInt32.random(in: 0...400), UInt32.random(in: 0...400)]
            if round % 3 == 0 { headStart[round % 2] += 5_000 }
            let delays = headStart
            // Two threads of their own, released together: `concurrentPerform` may run both
            // sides one after the other on a busy machine, and then the claim always wins.
            let start = DispatchSemaphore(value: 0)
            let done = DispatchGroup()
            for side in 0..<2 {
                done.enter()
                Thread {
                    start.wait()
                    usleep(delays[side])
                    if side == 0 {
                        let got = try? daemonSide.claimDue(
                            now: Sample.now, limit: 10, owner: "daemon", leaseSeconds: 60)
                        claimed.withLock { $0 = got ?? [] }
                    } else {
                        let result = try? operatorSide.perform(
                            .cancel, on: [planned.id], actor: "op", note: nil, at: Sample.now)
                        cancelled.withLock { $0 = result?.first }
                    }
                    done.leave()
                }.start()
            }
            start.signal()
            start.signal()
            done.wait()
            let claim = claimed.withLock { $0 }
            let cancel = try #require(cancelled.withLock { $0 })
            let state = try #require(try operatorSide.message(id: planned.id)).state
            if cancel.succeeded {
                #expect(claim.isEmpty, "round \(round): cancelled and claimed")
                #expect(state == .cancelled)
                cancelWins += 1
            } else {
                #expect(claim.map(\.id) == [planned.id], "round \(round): refused but not claimed: \(cancel)")
                #expect(cancel.refusal?.contains("sending") == true)
                #expect(state == .sending)
                claimWins += 1
                try daemonSide.record(
                    .delivered(detail: "ok"), for: planned.id, owner: "daemon", transport: "t", startedAt: Sample.now,
                    latency: .zero, at: Sample.now)
            }
        }
        #expect(cancelWins + claimWins == 150)
        #expect(cancelWins > 0 && claimWins > 0, "the race never went both ways")
        print("cancel vs dispatch: cancel won \(cancelWins), claim won \(claimWins) of 150 rounds")
    }
}
