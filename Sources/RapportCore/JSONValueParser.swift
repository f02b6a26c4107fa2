/// Reads one JSON document (RFC 8259) into a ``RawValue``.
///
/// Data files carry a JSON object per record (JSON Lines, a JSON array) or a JSON list of
/// projects in one CSV column, so a million-contact file means hundreds of thousands of small
/// documents. `JSONDecoder` builds a decoder per document and finds a value's type by trying
/// each type in turn (every miss throws); this reads the bytes once. It reads what
/// `JSONDecoder` reads and rejects what it rejects (tested side by side): strict JSON, but a
/// comma before a closing bracket passes and a key given twice keeps its first value.
struct JSONValueParser {
    /// Why a document is not JSON, at which byte offset.
    struct SyntaxError: Error, Sendable, Equatable {
        var offset: Int
        var problem: String
    }

    /// Nesting deeper than this is refused, as `JSONDecoder` does, rather than recursing on.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The value of the whole of `bytes`: one value, with only whitespace around it.
    static func value(of bytes: some Collection<UInt8>) throws(SyntaxError) -> RawValue {
        let result: Result<RawValue, SyntaxError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(SyntaxError) in try document(buffer) }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer throws(SyntaxError) in try document(buffer) }
    }

    private static func document(_ buffer: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> RawValue {
        var parser = JSONValueParser(buffer)
        // A UTF-8 byte order mark (the first line of an export) is skipped, as `JSONDecoder` does.
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { parser.position = 3 }
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == buffer.count else { throw parser.error("unexpected text after the value") }
        return value
    }

    // MARK: - Values

    private mutating func value(depth: Int) throws(SyntaxError) -> RawValue {
        guard position < bytes.count else { throw error("unexpected end of the document") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("unexpected character")
        }
    }

    private mutating func object(depth: Int) throws(SyntaxError) -> [String: RawValue] {
        var fields: [String: RawValue] = [:]
        try elements(depth: depth, closedBy: UInt8(ascii: "}"), "the object") { parser throws(SyntaxError) in
            guard parser.position < parser.bytes.count, parser.bytes[parser.position] == UInt8(ascii: "\"") else {
                throw parser.error("expected a key in quotes")
            }
            let key = try parser.string()
            parser.skipWhitespace()
            try parser.expect(UInt8(ascii: ":"), "expected ':' after a key")
            parser.skipWhitespace()
            let value = try parser.value(depth: depth)
            // A key given twice keeps its first value, as with `JSONDecoder`.
            if fields[key] == nil { fields[key] = value }
        }
        return fields
    }

    private mutating func array(depth: Int) throws(SyntaxError) -> [RawValue] {
        var items: [RawValue] = []
        try elements(depth: depth, closedBy: UInt8(ascii: "]"), "the list") { parser throws(SyntaxError) in
            items.append(try parser.value(depth: depth))
        }
        return items
    }

    /// Reads the elements of an object or a list, its opening bracket at `position`, through
    /// `close`: `element` reads one; commas between them, and one before `close` passes, as
    /// with `JSONDecoder`.
    private mutating func elements(
        depth: Int, closedBy close: UInt8, _ name: String,
        _ element: (inout JSONValueParser) throws(SyntaxError) -> Void
    ) throws(SyntaxError) {
        guard depth <= Self.maximumDepth else { throw error("nested too deeply") }
        position += 1  // the opening bracket
        skipWhitespace()
        if position < bytes.count, bytes[position] == close {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            guard position < bytes.count else { throw error("\(name) is never closed") }
            if bytes[position] == close {
                position += 1
                return
            }
            guard bytes[position] == UInt8(ascii: ",") else {
                throw error("expected ',' or '\(Character(Unicode.Scalar(close)))'")
            }
            position += 1
            skipWhitespace()
            if position < bytes.count, bytes[position] == close {
                position += 1
                return
            }
        }
    }

    private mutating func literal(_ word: StaticString, _ value: RawValue) throws(SyntaxError) -> RawValue {
        let start = position
        let matches = word.withUTF8Buffer { expected in
            start + expected.count <= bytes.count && expected.indices.allSatisfy { bytes[start + $0] == expected[$0] }
        }
        guard matches else { throw error("unexpected character") }
        position += word.utf8CodeUnitCount
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as a finite double.
    private mutating func number() throws(SyntaxError) -> Double {
        let start = position
        func digits() -> Int {
            let first = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                position += 1
            }
            return position - first
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        let integerDigits = digits()
        guard integerDigits > 0 else { throw error("a number needs digits") }
        guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
            throw error("a number cannot start with 0")
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw error("a number needs digits after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits() > 0 else { throw error("a number needs digits in its exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            position = start
            throw error("the number is out of range")
        }
        return number
    }

    /// A string in quotes, escapes resolved; its bytes must be UTF-8.
    private mutating func string() throws(SyntaxError) -> String {
        position += 1  // "
        let start = position
        // Most strings have no escape: their bytes are the string's.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                return try text(raw, at: start)
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw error("a control character must be escaped") }
            position += 1
        }
        var decoded = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try decoded.withUnsafeBufferPointer { buffer throws(SyntaxError) in try text(buffer, at: start) }
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"): decoded.append(contentsOf: try unicodeEscape())
                default:
                    position -= 2
                    throw error("unknown escape")
                }
            default:
                guard byte >= 0x20 else {
                    position -= 1
                    throw error("a control character must be escaped")
                }
                decoded.append(byte)
            }
        }
        throw error("the text is never closed")
    }

    /// The UTF-8 bytes of `\uXXXX` (its `\u` read), with the low half of a surrogate pair.
    private mutating func unicodeEscape() throws(SyntaxError) -> [UInt8] {
        var scalar = try hexQuad()
        if (0xD800..<0xDC00).contains(scalar) {
            guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
            else { throw error("a high surrogate without its low half") }
            position += 2
            let low = try hexQuad()
            guard (0xDC00..<0xE000).contains(low) else { throw error("a high surrogate without its low half") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw error("a low surrogate without its high half")
        }
        return Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
    }

    private mutating func hexQuad() throws(SyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("'\\u' needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("'\\u' needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private func text(_ raw: UnsafeBufferPointer<UInt8>, at offset: Int) throws(SyntaxError) -> String {
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw SyntaxError(offset: offset, problem: "the text is not UTF-8")
        }
        return text
    }

    // MARK: - Bytes

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ problem: String) throws(SyntaxError) {
        guard position < bytes.count, bytes[position] == byte else { throw error(problem) }
        position += 1
    }

    private func error(_ problem: String) -> SyntaxError {
        SyntaxError(offset: position, problem: problem)
    }
}
