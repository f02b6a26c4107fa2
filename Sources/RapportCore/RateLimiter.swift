/// How fast and how wide one relay or endpoint may be used: `[email]` / `[webhook]`
/// `concurrency`, `rate_per_second` and `rate_per_hour`.
public struct DeliveryLimits: Sendable, Hashable {
    /// Sends in flight at once, each on its own connection.
    public var concurrency: Int
    /// Sends started per second, on average; bursts up to one second's worth. `nil`: no limit.
    public var perSecond: Double?
    /// Sends started in any sliding hour. `nil`: no limit.
    public var perHour: Int?

    public init(concurrency: Int = 4, perSecond: Double? = nil, perHour: Int? = nil) {
        self.concurrency = max(1, concurrency)
        self.perSecond = perSecond
        self.perHour = perHour
    }
}

/// Paces sends to ``DeliveryLimits``: a token bucket for the per-second rate (capacity one
/// second's worth, at least one) and a sliding one-hour window of start times for the per-hour
/// cap. Pure: time is a parameter, in seconds on any monotonic scale.
public struct RateLimiter: Sendable {
    public let limits: DeliveryLimits
    private var tokens: Double
    private var refilledAt: Double?
    /// Start times within the last hour, oldest first (only kept with a per-hour cap).
    private var starts: [Double] = []
    private var firstStart = 0

    public init(_ limits: DeliveryLimits) {
        self.limits = limits
        tokens = Self.capacity(limits)
    }

    private static func capacity(_ limits: DeliveryLimits) -> Double {
        max(1, limits.perSecond ?? 1)
    }

    private mutating func advance(to now: Double) {
        if let rate = limits.perSecond {
            let elapsed = max(0, now - (refilledAt ?? now))
            tokens = min(Self.capacity(limits), tokens + elapsed * rate)
        }
        refilledAt = now
        while firstStart < starts.count, starts[firstStart] <= now - 3_600 { firstStart += 1 }
        if firstStart > 1_024, firstStart * 2 > starts.count {
            starts.removeFirst(firstStart)
            firstStart = 0
        }
    }

    /// How many sends may start at `now` (`Int.max` without limits).
    public mutating func available(at now: Double) -> Int {
        advance(to: now)
        var count = Int.max
        // The epsilon absorbs rounding in the refill (0.2 s at 5/s is 0.999…).
        if limits.perSecond != nil { count = Int((tokens + 1e-9).rounded(.down)) }
        if let perHour = limits.perHour { count = min(count, max(0, perHour - (starts.count - firstStart))) }
        return count
    }

    /// Records `count` sends started at `now`.
    public mutating func take(_ count: Int, at now: Double) {
        advance(to: now)
        if limits.perSecond != nil { tokens -= Double(count) }
        if limits.perHour != nil { starts.append(contentsOf: repeatElement(now, count: count)) }
    }

    /// The earliest time a send may start: `now` when one may start at once.
    public mutating func nextStart(after now: Double) -> Double {
        guard available(at: now) == 0 else { return now }
        var next = now
        if let rate = limits.perSecond, tokens + 1e-9 < 1 { next = max(next, now + (1 - tokens) / rate) }
        if let perHour = limits.perHour, starts.count - firstStart >= perHour {
            next = max(next, starts[starts.count - perHour] + 3_600)
        }
        return next
    }
}
