/// Quoted-printable body encoding (RFC 2045 §6.7) with CRLF line breaks.
enum QuotedPrintable {
    /// Longest encoded line before the soft-break `=`; with it, lines stay within 76 characters.
    static let maxContent = 75
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Encodes `text` as UTF-8. Any line ending (CRLF, LF, CR) becomes a hard CRLF break. A leading `.` and a
    /// leading `From ` are encoded too, so the result survives SMTP dot-stuffing and mbox files unchanged.
    static func encode(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        let lines = splitLines(Array(text.utf8))
        for (number, line) in lines.enumerated() {
            if number > 0 { output.append(contentsOf: [0x0D, 0x0A]) }
            encodeLine(line, into: &output)
        }
        return output
    }

    private static func splitLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D || byte == 0x0A {
                lines.append(bytes[start..<index])
                index += (byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) ? 2 : 1
                start = index
            } else {
                index += 1
            }
        }
        lines.append(bytes[start..<bytes.count])
        return lines
    }

    private static func encodeLine(_ line: ArraySlice<UInt8>, into output: inout [UInt8]) {
        var current: [UInt8] = []
        var index = line.startIndex
        while index < line.endIndex {
            let isLast = index == line.index(before: line.endIndex)
            var token = self.token(line, at: index, isLast: isLast, atLineStart: current.isEmpty)
            if current.count + token.count > maxContent {
                output.append(contentsOf: current)
                output.append(contentsOf: [UInt8(ascii: "="), 0x0D, 0x0A])
                current.removeAll(keepingCapacity: true)
                token = self.token(line, at: index, isLast: isLast, atLineStart: true)
            }
            current.append(contentsOf: token)
            index = line.index(after: index)
        }
        output.append(contentsOf: current)
    }

    private static func token(_ line: ArraySlice<UInt8>, at index: Int, isLast: Bool, atLineStart: Bool) -> [UInt8] {
        let byte = line[index]
        let printable = (33...126).contains(byte) && byte != UInt8(ascii: "=")
        let blank = byte == 0x20 || byte == 0x09
        var literal = printable || (blank && !isLast)
        if atLineStart && byte == UInt8(ascii: ".") {
            literal = false
        }
        if atLineStart && byte == UInt8(ascii: "F") && line[index...].starts(with: "From ".utf8) {
            literal = false
        }
        if literal { return [byte] }
        return [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
    }
}
