/// Quoted-printable body encoding (RFC 2045 §6.7) with CRLF line breaks.
enum QuotedPrintable {
    /// Longest encoded line before the soft-break `=`; with it, lines stay within 76 characters.
    static let maxContent = 75
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Encodes `text` as UTF-8. Any line ending (CRLF, LF, CR) becomes a hard CRLF break. A leading `.` and a
    /// leading `From ` are encoded too, so the result survives SMTP dot-stuffing and mbox files unchanged.
    static func encode(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        let lines = splitLines(Array(text.utf8))
        for (number, line) in lines.enumerated() {
            if number > 0 {
                output.append(0x0D)
                output.append(0x0A)
            }
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

    /// Writes one line, byte by byte (a body is encoded for every message sent), with a soft
    /// break before a byte that would not fit.
    private static func encodeLine(_ line: ArraySlice<UInt8>, into output: inout [UInt8]) {
        var column = 0
        var index = line.startIndex
        while index < line.endIndex {
            let isLast = index == line.endIndex - 1
            var literal = isLiteral(line, at: index, isLast: isLast, atLineStart: column == 0)
            if column + (literal ? 1 : 3) > maxContent {
                output.append(UInt8(ascii: "="))
                output.append(0x0D)
                output.append(0x0A)
                column = 0
                literal = isLiteral(line, at: index, isLast: isLast, atLineStart: true)
            }
            let byte = line[index]
            if literal {
                output.append(byte)
                column += 1
            } else {
                output.append(UInt8(ascii: "="))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
                column += 3
            }
            index += 1
        }
    }

    /// Whether the byte at `index` goes as itself rather than `=XX`.
    private static func isLiteral(_ line: ArraySlice<UInt8>, at index: Int, isLast: Bool, atLineStart: Bool) -> Bool {
        let byte = line[index]
        if atLineStart && byte == UInt8(ascii: ".") { return false }
        if atLineStart && byte == UInt8(ascii: "F") && line[index...].starts(with: "From ".utf8) { return false }
        let printable = (33...126).contains(byte) && byte != UInt8(ascii: "=")
        let blank = byte == 0x20 || byte == 0x09
        return printable || (blank && !isLast)
    }
}
