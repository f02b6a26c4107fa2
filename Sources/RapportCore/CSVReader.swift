/// A small RFC 4180 reader that remembers the line each record starts on.
///
/// Written by hand rather than taken from a CSV package because Rapport's error messages name
/// the exact line of a bad row, quoted fields spanning lines included, and because it streams
/// over the bytes without building intermediate strings for every character.
public struct CSVReader: Sequence, IteratorProtocol {
    /// One row: its fields and the 1-based line it starts on.
    public struct Record: Sendable {
        public var line: Int
        public var fields: [String]
    }

    /// A syntax error: an unterminated quote or a quote in the middle of a field.
    public struct SyntaxError: Error, Sendable {
        public var line: Int
        public var problem: String
    }

    private let bytes: [UInt8]
    private var position = 0
    private var line = 1
    public private(set) var error: SyntaxError?

    /// A reader of `bytes`, which start on line `firstLine` of their file (a piece of a file
    /// read piece by piece starts on a later line).
    public init(_ bytes: [UInt8], firstLine: Int = 1) {
        line = firstLine
        self.bytes = bytes
        if firstLine == 1 { position = Self.byteOrderMarkLength(of: bytes) }
    }

    /// The length of the UTF-8 byte order mark that starts `bytes` (0 for none), which
    /// spreadsheet exports like to put before a CSV file's header: skipped, not a field.
    static func byteOrderMarkLength(of bytes: some Collection<UInt8>) -> Int {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    public mutating func next() -> Record? {
        guard error == nil, position < bytes.count else { return nil }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var afterQuote = false
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if position < bytes.count, bytes[position] == UInt8(ascii: "\"") {
                        field.append(byte)
                        position += 1
                    } else {
                        quoted = false
                        afterQuote = true
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                afterQuote = false
            case UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "\n"):
                line += 1
                fields.append(String(decoding: field, as: UTF8.self))
                return Record(line: startLine, fields: fields)
            case UInt8(ascii: "\""):
                if field.isEmpty && !afterQuote {
                    quoted = true
                } else {
                    error = SyntaxError(line: line, problem: "stray quote inside an unquoted field")
                    return nil
                }
            default:
                if afterQuote {
                    error = SyntaxError(line: line, problem: "text after a closing quote")
                    return nil
                }
                field.append(byte)
            }
        }
        if quoted {
            error = SyntaxError(line: startLine, problem: "quoted field is never closed")
            return nil
        }
        fields.append(String(decoding: field, as: UTF8.self))
        return Record(line: startLine, fields: fields)
    }
}
