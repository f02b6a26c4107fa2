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

    public var description: String {
        if let field {
            return "\(file):\(line): \(field): \(problem)"
        }
        return "\(file):\(line): \(problem)"
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
