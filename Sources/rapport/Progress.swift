import Foundation
import RapportCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A progress bar on standard error for long work: counts and rate, redrawn at most ten times
/// a second, and silent when standard error is not a terminal or `--quiet` was given.
final class ProgressBar {
    private let label: String
    private let total: Int
    private let enabled: Bool
    private let started = ContinuousClock.now
    private var lastDrawn = ContinuousClock.now - .seconds(1)
    private var done = 0

    init(_ label: String, total: Int, quiet: Bool) {
        self.label = label
        self.total = total
        self.enabled = !quiet && total > 0 && isatty(STDERR_FILENO) == 1
    }

    func advance(by count: Int = 1) {
        advance(to: done + count)
    }

    func advance(to count: Int) {
        done = count
        guard enabled else { return }
        let now = ContinuousClock.now
        guard now - lastDrawn >= .milliseconds(100) || done >= total else { return }
        lastDrawn = now
        let elapsed = (now - started).inSeconds
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let fraction = min(Double(done) / Double(max(total, 1)), 1)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = "\r\(label) \(bar) \(done)/\(total) \(Int(rate))/s"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Clears the bar's line, for lines printed while the work goes on; the next advance
    /// draws it again.
    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        lastDrawn = started - .seconds(1)
    }

    /// Clears the bar's line for good.
    func finish() { clear() }
}
