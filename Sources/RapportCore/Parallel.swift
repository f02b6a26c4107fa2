import Dispatch

/// Work split in two for the two cores a plan has.
public enum Parallel {
    /// Runs `first` on this thread and `second` on another at the same time, and returns both
    /// results once both are done.
    ///
    /// `second` may use what the caller holds only for the call (a buffer's pointer, say): the
    /// call returns after it finishes, and after it is released, so it may also be a closure
    /// made escaping with `withoutActuallyEscaping`.
    public static func both<A, B>(_ first: () -> A, _ second: @escaping () -> B) -> (A, B) {
        nonisolated(unsafe) var secondResult: B?
        // Dropped by the other thread once run: the queue may release its block only later.
        nonisolated(unsafe) var pending: (() -> B)? = second
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            secondResult = pending?()
            pending = nil
            done.signal()
        }
        let firstResult = first()
        done.wait()
        return (firstResult, secondResult!)
    }

    /// `items.map(transform)`, the second half transformed on another thread when there are at
    /// least `threshold` items; the results are in the order of `items` either way.
    ///
    /// `transform` runs on two threads at once: it may read what it captures, never change it.
    public static func map<Item, Result>(
        _ items: some RandomAccessCollection<Item>, splittingFrom threshold: Int = 64, _ transform: (Item) -> Result
    ) -> [Result] {
        guard items.count >= max(threshold, 2) else { return items.map(transform) }
        let middle = items.index(items.startIndex, offsetBy: items.count / 2)
        return withoutActuallyEscaping(transform) { transform in
            let (first, second) = both(
                { items[..<middle].map(transform) },
                { items[middle...].map(transform) })
            return first + second
        }
    }
}
