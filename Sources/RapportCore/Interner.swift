/// One shared copy of each value many records repeat.
///
/// A million customers tagged from a few dozen combinations then hold a few dozen tag arrays
/// between them rather than a million, and the clients of one account manager share that
/// manager's strings. Past `limit` distinct values, new ones are kept as they come, so a file
/// whose values are all different does not also grow a table of them.
struct Interner<Value: Hashable> {
    private var seen: [Value: Value] = [:]
    let limit: Int

    init(limit: Int = 4096) {
        self.limit = limit
    }

    /// The copy of `value` kept first, or `value` itself.
    mutating func shared(_ value: Value) -> Value {
        if let kept = seen[value] { return kept }
        if seen.count < limit { seen[value] = value }
        return value
    }
}
