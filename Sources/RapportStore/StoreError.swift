/// A failure of the outbox store, with what was being done.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The store could not be opened or created.
        case open
        /// The store was written by a newer Rapport; refusing to touch it.
        case newerSchema
        /// A query or transaction failed.
        case query
        /// The store's file is gone or was replaced while open.
        case unreachable
        /// The store cannot be written: the disk is full, or the file or its file system is
        /// read-only. Nothing was changed; the daemon pauses dispatch until it can write again.
        case unwritable
    }

    public var code: Code
    /// What was being done, e.g. `claiming due messages`.
    public var operation: String
    /// The underlying error's text.
    public var detail: String

    public init(_ code: Code, _ operation: String, _ detail: String) {
        self.code = code
        self.operation = operation
        self.detail = detail
    }

    public var description: String { "store: \(operation): \(detail)" }
}
