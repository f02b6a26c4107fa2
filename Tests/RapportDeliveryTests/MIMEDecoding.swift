import Foundation

/// Small decoders the MIME tests use to read rendered messages back.
enum MIMEDecoding {
    /// Splits CRLF text into lines (the text after the last CRLF is the last element).
    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A {
                result.append(current)
                current = []
                index += 2
            } else {
                current.append(bytes[index])
                index += 1
            }
        }
        result.append(current)
        return result
    }

    /// The header block unfolded: (name, value) pairs in order.
    static func headers(_ bytes: [UInt8]) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        for line in lines(bytes) {
            let text = String(decoding: line, as: UTF8.self)
            if text.isEmpty { break }
            if text.hasPrefix(" ") || text.hasPrefix("\t"), !result.isEmpty {
                result[result.count - 1].value += text
            } else if let colon = text.firstIndex(of: ":") {
                let value = text[text.index(after: colon)...].drop(while: { $0 == " " })
                result.append((String(text[..<colon]), String(value)))
            }
        }
        return result
    }

    static func header(_ name: String, in bytes: [UInt8]) -> String? {
        headers(bytes).first(where: { $0.name.lowercased() == name.lowercased() })?.value
    }

    /// Decodes every `=?UTF-8?B?…?=` word, dropping whitespace between adjacent encoded words.
    static func decodeWords(_ value: String) -> String {
        var output = ""
        var rest = Substring(value)
        var previousWasEncoded = false
        while !rest.isEmpty {
            if rest.hasPrefix("=?UTF-8?B?"), let end = rest.dropFirst(10).range(of: "?=") {
                let payload = rest[rest.index(rest.startIndex, offsetBy: 10)..<end.lowerBound]
                output += String(decoding: Data(base64Encoded: String(payload)) ?? Data(), as: UTF8.self)
                rest = rest[end.upperBound...]
                previousWasEncoded = true
                continue
            }
            let whitespace = rest.prefix(while: { $0 == " " || $0 == "\t" })
            if !whitespace.isEmpty {
                let after = rest.dropFirst(whitespace.count)
                if !(previousWasEncoded && after.hasPrefix("=?UTF-8?B?")) {
                    output += whitespace
                }
                rest = after
                continue
            }
            output.append(rest.removeFirst())
            previousWasEncoded = false
        }
        return output
    }

    /// The encoded words in a header value.
    static func encodedWords(_ value: String) -> [String] {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init).filter { $0.hasPrefix("=?") }
    }

    /// Quoted-printable decoding of CRLF text into bytes (soft breaks removed, hard breaks kept as CRLF).
    static func decodeQuotedPrintable(_ encoded: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        let all = lines(encoded)
        for (number, line) in all.enumerated() {
            var index = 0
            var soft = false
            while index < line.count {
                let byte = line[index]
                if byte == UInt8(ascii: "=") {
                    if index == line.count - 1 {
                        soft = true
                        break
                    }
                    let hex = String(decoding: line[(index + 1)...(index + 2)], as: UTF8.self)
                    output.append(UInt8(hex, radix: 16) ?? 0x3F)
                    index += 3
                } else {
                    output.append(byte)
                    index += 1
                }
            }
            if !soft && number < all.count - 1 {
                output.append(contentsOf: [0x0D, 0x0A])
            }
        }
        return output
    }
}
