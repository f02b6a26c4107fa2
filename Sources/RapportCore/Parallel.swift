import Dispatch

/// Work split in two for the two cores a plan has.
public enum Parallel {
    /// Runs `first` on this thread and `second` on another at the same time, and returns both
    /// results once both are done.
    ///
    /// `second` may use what the caller holds only for the call (a buffer's pointer, say): the
    /// call returns after it finishes.
    public static func both<A, B>(_ first: () -> A, _ second: @escaping () -> B) -> (A, B) {
        nonisolated(unsafe) var secondResult: B?
        nonisolated(unsafe) let second = second
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            secondResult = second()
            done.signal()
        }
        let firstResult = first()
        done.wait()
        return (firstResult, secondResult!)
    }
}
