import Foundation
import Logging
import RapportDaemon
import Synchronization
import Testing

@Suite struct TickLoopTests {
    struct Boom: Error {}

    /// Ticks on a 100 ms period where every third tick throws and some take 250 ms: none
    /// overlap, a throwing tick is logged and counted, and the ticks after it run.
    @Test func ticksNeverOverlapAndAFailingTickIsFollowedByTheNext() throws {
        let sink = LineSink()
        let logger = Logger(label: "test") { _ in RapportLogHandler(format: .journal, sink: sink) }
        let running = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let count = Atomic<Int>(0)
        let finished = Mutex<[Bool]>([])
        let loop = TickLoop(
            label: "test.tick", interval: .milliseconds(100), logger: logger,
            finished: { _, succeeded in finished.withLock { $0.append(succeeded) } },
            body: {
                if running.add(1, ordering: .sequentiallyConsistent).newValue > 1 {
                    overlaps.add(1, ordering: .sequentiallyConsistent)
                }
                defer { running.subtract(1, ordering: .sequentiallyConsistent) }
                let number = count.add(1, ordering: .sequentiallyConsistent).newValue
                if number % 4 == 2 { usleep(250_000) }
                if number % 3 == 0 { throw Boom() }
            })
        loop.start()
        usleep(1_500_000)
        loop.queue.sync { loop.cancel() }
        let outcomes = finished.withLock { $0 }
        #expect(overlaps.load(ordering: .sequentiallyConsistent) == 0)
        #expect(outcomes.count >= 6, "only \(outcomes.count) ticks in 1.5 s")
        let failures = outcomes.indices.filter { !outcomes[$0] }
        #expect(!failures.isEmpty)
        #expect(failures.allSatisfy { $0 + 1 < outcomes.count ? outcomes[$0 + 1] : true }, "\(outcomes)")
        #expect(sink.lines.filter { $0.hasPrefix("<3>tick failed") }.count == failures.count)
        #expect(loop.heartbeat.snapshot.lastSuccess != nil)
    }

    /// The period is kept: ticks that take 30 ms on a 100 ms period start about 100 ms apart.
    @Test func thePeriodIsKept() {
        let starts = Mutex<[ContinuousClock.Instant]>([])
        let loop = TickLoop(label: "test.period", interval: .milliseconds(100), logger: Logger(label: "test")) {
            starts.withLock { $0.append(.now) }
            usleep(30_000)
        }
        loop.start()
        usleep(1_050_000)
        loop.queue.sync { loop.cancel() }
        let times = starts.withLock { $0 }
        #expect((9...12).contains(times.count), "\(times.count) ticks in 1.05 s at 100 ms")
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 > .milliseconds(60) && $0 < .milliseconds(160) }, "\(gaps)")
    }

    @Test func theHeartbeatJudgesProgress() {
        let heartbeat = TickHeartbeat(interval: .seconds(60))
        let start = ContinuousClock.now
        // Between ticks: the period plus the timeout.
        #expect(heartbeat.isAlive(now: start + .seconds(61), timeout: .seconds(10)))
        #expect(!heartbeat.isAlive(now: start + .seconds(71), timeout: .seconds(10)))
        // During a tick: progress within the timeout.
        heartbeat.tickStarted()
        #expect(heartbeat.isAlive(now: .now + .seconds(9), timeout: .seconds(10)))
        #expect(!heartbeat.isAlive(now: .now + .seconds(11), timeout: .seconds(10)))
        heartbeat.beat()
        #expect(heartbeat.isAlive(now: .now + .seconds(9), timeout: .seconds(10)))
        #expect(!heartbeat.succeededRecently(within: .seconds(1)))
        heartbeat.tickFinished(succeeded: true, at: Date())
        #expect(heartbeat.succeededRecently(within: .seconds(1)))
        #expect(!heartbeat.succeededRecently(now: .now + .seconds(5), within: .seconds(1)))
        heartbeat.tickFinished(succeeded: false, at: Date())
        #expect(heartbeat.snapshot.consecutiveFailures == 1)
    }
}
