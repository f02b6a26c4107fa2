/// When to try a failed delivery again, and when to give up.
///
/// By default the Standard Webhooks schedule: after the first attempt, retries 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h later (ten attempts over about three days).
/// A configuration may give its own schedule, or exponential backoff (`baseDelay` doubling up
/// to `maxDelay`). Every delay is multiplied by a jitter factor so that messages that failed
/// together do not all retry in the same second.
public struct RetryPolicy: Sendable, Hashable {
    /// The Standard Webhooks retry schedule.
    public static let standardSchedule: [Duration] = [
        .seconds(5), .seconds(5 * 60), .seconds(30 * 60), .seconds(2 * 3600), .seconds(5 * 3600), .seconds(10 * 3600),
        .seconds(14 * 3600), .seconds(20 * 3600), .seconds(24 * 3600),
    ]

    /// Attempts in all, the first included, before a message is `failed`.
    public var maxAttempts: Int
    /// The wait after each failed attempt, in order (the last repeats); `nil`: exponential.
    public var schedule: [Duration]?
    /// The wait after the first failed attempt (exponential backoff).
    public var baseDelay: Duration
    /// The longest wait between two attempts (exponential backoff).
    public var maxDelay: Duration

    /// The Standard Webhooks schedule.
    public init() {
        self.init(schedule: Self.standardSchedule)
    }

    /// A schedule of waits; `maxAttempts` defaults to one more than its length.
    public init(schedule: [Duration], maxAttempts: Int? = nil) {
        self.schedule = schedule
        self.maxAttempts = maxAttempts ?? schedule.count + 1
        baseDelay = schedule.first ?? .seconds(60)
        maxDelay = schedule.max() ?? .seconds(6 * 3600)
    }

    /// Exponential backoff.
    public init(maxAttempts: Int = 8, baseDelay: Duration = .seconds(60), maxDelay: Duration = .seconds(6 * 3600)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        schedule = nil
    }

    /// The wait after attempt number `attempt` (1-based) failed.
    ///
    /// - Parameter jitter: a factor in 0.8...1.2, random in production, fixed in tests.
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Duration {
        let factor = min(max(jitter, 0.8), 1.2)
        if let schedule, let last = schedule.last {
            let wait = attempt >= 1 && attempt <= schedule.count ? schedule[attempt - 1] : last
            return wait * factor
        }
        let exponent = min(max(attempt - 1, 0), 30)
        let base = Double(baseDelay.components.seconds) * Double(1 << exponent)
        let capped = min(base, Double(maxDelay.components.seconds))
        return .milliseconds(Int64(capped * factor * 1000))
    }

    /// Whether another attempt is allowed after `attempts` attempts.
    public func allowsRetry(afterAttempts attempts: Int) -> Bool {
        attempts < maxAttempts
    }
}
