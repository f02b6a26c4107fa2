/// A problem in the relationship data, located precisely enough to fix it.
///
/// Its description is one line in the form `file:line: field: problem`.
public struct DataError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based line of the record (for CSV, the line the row starts on).
    public var line: Int
    /// The field at fault, or `nil` when the record as a whole is.
    public var field: String?
    public var problem: String

    public init(file: String, line: Int, field: String?, problem: String) {
        self.file = file
        self.line = line
        self.field = field
        self.problem = problem
    }

    /// `file:line: field: problem`; a problem with the file as a whole (line 0) has no line.
    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        if let field {
            return "\(place): \(field): \(problem)"
        }
        return "\(place): \(problem)"
    }
}

/// Every problem found in one data file; the file is rejected as a whole.
public struct DataErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [DataError]

    public init(_ errors: [DataError]) {
        self.errors = errors
    }

    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
