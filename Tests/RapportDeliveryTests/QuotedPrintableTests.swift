import RapportTestSupport
import Testing

@testable import RapportDelivery

/// The quoted-printable encoder writes byte by byte; these cases pin what it must write, and a
/// seeded run compares it with a plain token-by-token encoding of the same rules.
@Suite struct QuotedPrintableTests {
    func encoded(_ text: String) -> String {
        String(decoding: QuotedPrintable.encode(text), as: UTF8.self)
    }

    @Test func pinnedCases() {
        #expect(encoded("plain text") == "plain text")
        #expect(encoded("a=b") == "a=3Db")
        #expect(encoded("trailing space ") == "trailing space=20")
        #expect(encoded("trailing tab\t") == "trailing tab=09")
        #expect(encoded("café") == "caf=C3=A9")
        #expect(encoded(".leading dot\nFrom here\nnot From") == "=2Eleading dot\r\n=46rom here\r\nnot From")
        #expect(encoded("one\r\ntwo\rthree\nfour") == "one\r\ntwo\r\nthree\r\nfour")
        let long = String(repeating: "x", count: 80)
        #expect(encoded(long) == String(repeating: "x", count: 75) + "=\r\n" + String(repeating: "x", count: 5))
        // An escape that would cross column 75 moves to the next line whole.
        let nearEnd = String(repeating: "y", count: 73) + "é"
        #expect(encoded(nearEnd) == String(repeating: "y", count: 73) + "=\r\n=C3=A9")
        // A dot that starts a continuation line is escaped too.
        #expect(encoded(String(repeating: "z", count: 75) + ".") == String(repeating: "z", count: 75) + "=\r\n=2E")
    }

    @Test func matchesATokenByTokenEncoding() {
        var random = SeededGenerator(seed: 76)
        let pieces = [
            "a", "Z", " ", "\t", ".", "From ", "=", "é", "😀", "\n", "\r\n", "\r", "~", "!", "longer words here",
        ]
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0...60, using: &random)).map { _ in pieces.randomElement(using: &random)! }
                .joined()
            #expect(QuotedPrintable.encode(text) == Self.reference(text), "\(text.debugDescription)")
        }
    }

    /// The rules written plainly: each byte becomes a token, a token that would pass column 75
    /// starts a new line (and is made again as a line start).
    static func reference(_ text: String) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        var lines: [[UInt8]] = [[]]
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.first {
            bytes = bytes.dropFirst()
            if byte == 0x0D || byte == 0x0A {
                if byte == 0x0D, bytes.first == 0x0A { bytes = bytes.dropFirst() }
                lines.append([])
            } else {
                lines[lines.count - 1].append(byte)
            }
        }
        var output: [UInt8] = []
        for (number, line) in lines.enumerated() {
            if number > 0 { output += [0x0D, 0x0A] }
            var current: [UInt8] = []
            for index in line.indices {
                func token(atLineStart: Bool) -> [UInt8] {
                    let byte = line[index]
                    let isLast = index == line.count - 1
                    var literal =
                        ((33...126).contains(byte) && byte != 0x3D) || ((byte == 0x20 || byte == 0x09) && !isLast)
                    if atLineStart && byte == 0x2E { literal = false }
                    if atLineStart && line[index...].starts(with: "From ".utf8) { literal = false }
                    return literal ? [byte] : [0x3D, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                }
                var next = token(atLineStart: current.isEmpty)
                if current.count + next.count > 75 {
                    output += current + [0x3D, 0x0D, 0x0A]
                    current = []
                    next = token(atLineStart: true)
                }
                current += next
            }
            output += current
        }
        return output
    }
}
