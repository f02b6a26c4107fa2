import RapportCore
import Testing

@Suite struct RateLimiterTests {
    @Test func withoutLimitsEverythingMayStart() {
        var limiter = RateLimiter(DeliveryLimits())
        #expect(limiter.available(at: 0) == Int.max)
        limiter.take(1_000_000, at: 0)
        #expect(limiter.available(at: 0) == Int.max)
        #expect(limiter.nextStart(after: 0) == 0)
    }

    @Test func perSecondAllowsOneSecondsBurstThenRefills() {
        var limiter = RateLimiter(DeliveryLimits(perSecond: 5))
        #expect(limiter.available(at: 10) == 5)
        limiter.take(5, at: 10)
        #expect(limiter.available(at: 10) == 0)
        #expect(abs(limiter.nextStart(after: 10) - 10.2) < 1e-9)
        #expect(limiter.available(at: 10.2) == 1)
        #expect(limiter.available(at: 10.5) == 2)
        // Never more than one second's worth, however long it was idle.
        #expect(limiter.available(at: 100) == 5)
    }

    @Test func aSlowRateStillLetsOneThrough() {
        var limiter = RateLimiter(DeliveryLimits(perSecond: 0.5))
        #expect(limiter.available(at: 0) == 1)
        limiter.take(1, at: 0)
        #expect(limiter.available(at: 1.9) == 0)
        #expect(abs(limiter.nextStart(after: 1.9) - 2) < 1e-9)
        #expect(limiter.available(at: 2) == 1)
    }

    @Test func perHourIsASlidingWindow() {
        var limiter = RateLimiter(DeliveryLimits(perHour: 3))
        limiter.take(2, at: 0)
        limiter.take(1, at: 1_000)
        #expect(limiter.available(at: 1_000) == 0)
        #expect(limiter.nextStart(after: 1_000) == 3_600)
        #expect(limiter.available(at: 3_599) == 0)
        #expect(limiter.available(at: 3_600) == 2)
        #expect(limiter.available(at: 4_600) == 3)
    }

    @Test func bothLimitsTheStricterWins() {
        var limiter = RateLimiter(DeliveryLimits(perSecond: 10, perHour: 4))
        #expect(limiter.available(at: 0) == 4)
        limiter.take(4, at: 0)
        #expect(limiter.available(at: 5) == 0)
        #expect(limiter.nextStart(after: 5) == 3_600)
    }

    @Test func aLongRunKeepsItsMemoryBounded() {
        var limiter = RateLimiter(DeliveryLimits(perHour: 100))
        var started = 0
        for second in 0..<20_000 where limiter.available(at: Double(second)) > 0 {
            limiter.take(1, at: Double(second))
            started += 1
        }
        // 20,000 s is 5.55 hours: 100 in each hour window.
        #expect(started == 600)
    }
}
