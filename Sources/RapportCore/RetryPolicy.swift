/// When to try a failed delivery again: exponential backoff with jitter, and a limit.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included, before a message is `failed`.
    public var maxAttempts: Int
    /// The wait after the first failed attempt.
    public var baseDelay: Duration
    /// The longest wait between two attempts.
    public var maxDelay: Duration

    public init(maxAttempts: Int = 8, baseDelay: Duration = .seconds(60), maxDelay: Duration = .seconds(6 * 3600)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait after attempt number `attempt` (1-based) failed.
    ///
    /// - Parameter jitter: a factor in 0.8...1.2, random in production, fixed in tests, so
    ///   that messages that failed together do not all retry in the same second.
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let base = Double(baseDelay.components.seconds) * Double(1 << exponent)
        let capped = min(base, Double(maxDelay.components.seconds))
        return .milliseconds(Int64(capped * min(max(jitter, 0.8), 1.2) * 1000))
    }

    /// Whether another attempt is allowed after `attempts` attempts.
    public func allowsRetry(afterAttempts attempts: Int) -> Bool {
        attempts < maxAttempts
    }
}
