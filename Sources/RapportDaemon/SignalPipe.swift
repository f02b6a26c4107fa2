import Dispatch
import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Delivers signals to a handler on a Dispatch queue with no window in which one is lost.
///
/// `signal(SIG, SIG_IGN)` followed by `DispatchSource.makeSignalSource` loses a signal that
/// arrives after the `SIG_IGN` but before libdispatch has registered the source (it does so
/// asynchronously): a SIGTERM in the first milliseconds after start-up was ignored and the
/// daemon kept running. Here `sigaction` installs, synchronously, an async-signal-safe handler
/// that writes the signal number to a pipe; a read source on the pipe calls the handler. A
/// signal that arrives before the read source is registered waits in the pipe.
///
/// One per process (the handler writes to a process-wide descriptor).
public final class SignalPipe: @unchecked Sendable {
    /// The pipe's write end, read by the C signal handler.
    nonisolated(unsafe) private static var writeDescriptor: Int32 = -1
    private let readDescriptor: Int32
    private let source: any DispatchSourceRead

    /// Installs handlers for `signals` and calls `handler` with each signal number on `queue`.
    /// Throws when the pipe cannot be created (no file descriptors left).
    public init(signals: [Int32], queue: DispatchQueue, handler: @escaping @Sendable (Int32) -> Void)
        throws(SignalPipeError)
    {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw SignalPipeError(errno: errno) }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }
        readDescriptor = descriptors[0]
        Self.writeDescriptor = descriptors[1]
        let readEnd = descriptors[0]
        source = DispatchSource.makeReadSource(fileDescriptor: readEnd, queue: queue)
        source.setEventHandler {
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                for signal in buffer[0..<count] { handler(Int32(signal)) }
            }
        }
        source.resume()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            var byte = UInt8(truncatingIfNeeded: signal)
            let saved = errno
            _ = write(SignalPipe.writeDescriptor, &byte, 1)
            errno = saved
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = Int32(SA_RESTART)
        for signal in signals { sigaction(signal, &action, nil) }
    }

    deinit {
        source.cancel()
        close(readDescriptor)
    }
}

/// The signal pipe could not be created.
public struct SignalPipeError: Error, Sendable, CustomStringConvertible {
    public var errno: Int32

    public var description: String { "cannot create the signal pipe: \(String(cString: strerror(errno)))" }
}
