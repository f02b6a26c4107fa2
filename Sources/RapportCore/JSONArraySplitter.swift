/// Finds the elements of a top-level JSON array and the line each starts on, so that a bad
/// record in a large export can be reported by line.
enum JSONArraySplitter {
    struct Element {
        var range: Range<Int>
        var line: Int
    }

    static func elements(of bytes: [UInt8], fileName: String) throws(DataError) -> [Element] {
        var index = 0
        var line = 1
        func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\n"): line += 1
                case 0x20, 0x09, 0x0D, 0xEF, 0xBB, 0xBF: break
                default: return
                }
                index += 1
            }
        }
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else {
            throw DataError(file: fileName, line: line, field: nil, problem: "expected a JSON array of contacts")
        }
        index += 1
        var elements: [Element] = []
        while true {
            skipWhitespace()
            guard index < bytes.count else {
                throw DataError(file: fileName, line: line, field: nil, problem: "the array is never closed")
            }
            if bytes[index] == UInt8(ascii: "]") { break }
            let start = index
            let startLine = line
            var depth = 0
            var inString = false
            scan: while index < bytes.count {
                let byte = bytes[index]
                if inString {
                    if byte == UInt8(ascii: "\\") {
                        index += 1
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    } else if byte == UInt8(ascii: "\n") {
                        line += 1
                    }
                } else {
                    switch byte {
                    case UInt8(ascii: "\""): inString = true
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        if depth == 0 { break scan }
                        depth -= 1
                    case UInt8(ascii: ","):
                        if depth == 0 { break scan }
                    case UInt8(ascii: "\n"): line += 1
                    default: break
                    }
                }
                index += 1
            }
            guard index < bytes.count else {
                throw DataError(file: fileName, line: startLine, field: nil, problem: "record is never closed")
            }
            elements.append(Element(range: start..<index, line: startLine))
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            }
        }
        return elements
    }
}
