import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A swift-log handler that writes one line per event in a ``LogFormat`` to a file
/// descriptor (standard error by default), each line with a single `write`, so lines from
/// different threads never interleave.
public struct RapportLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let format: LogFormat
    private let sink: LineSink

    /// - Parameters:
    ///   - sink: where lines go; ``LineSink/standardError`` for the daemon.
    public init(format: LogFormat, level: Logger.Level = .info, sink: LineSink = .standardError) {
        self.format = format
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        sink.write(format.line(level: event.level, message: event.message.description, metadata: merged, date: Date()))
    }
}

/// Where log lines go: a file descriptor, or (in tests) a collector.
public final class LineSink: Sendable {
    private let descriptor: Int32
    /// Lines kept in memory when `descriptor` is -1.
    private let collected = Mutex<[String]>([])

    /// Lines written to standard error.
    public static let standardError = LineSink(descriptor: 2)

    /// Lines written to `descriptor`.
    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Lines kept in memory; read them with ``lines``.
    public init() {
        descriptor = -1
    }

    /// The lines collected so far (in-memory sinks only).
    public var lines: [String] { collected.withLock { $0 } }

    func write(_ line: String) {
        if descriptor < 0 {
            collected.withLock { $0.append(line) }
            return
        }
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
