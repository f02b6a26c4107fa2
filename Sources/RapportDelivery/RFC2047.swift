/// RFC 2047 encoded words (`=?UTF-8?B?…?=`).
enum RFC2047 {
    /// UTF-8 octets per encoded word: 36 octets → 48 base64 characters → a 60-character word (limit 75).
    static let octetsPerWord = 36

    /// Whether unstructured `text` must be encoded to travel in a header.
    static func needsEncoding(_ text: String) -> Bool {
        text.utf8.contains(where: { $0 >= 0x80 || $0 < 0x20 || $0 == 0x7F }) || text.contains("=?")
    }

    /// `text` as encoded words, each at most 75 characters, never splitting a UTF-8 sequence.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let octets = Array(String(scalar).utf8)
            if chunk.count + octets.count > octetsPerWord {
                words.append(word(chunk))
                chunk.removeAll(keepingCapacity: true)
            }
            chunk.append(contentsOf: octets)
        }
        if !chunk.isEmpty || words.isEmpty {
            words.append(word(chunk))
        }
        return words
    }

    private static func word(_ octets: [UInt8]) -> String {
        "=?UTF-8?B?" + Base64.encode(octets) + "?="
    }
}

/// Minimal standard base64 (RFC 4648), kept here so MIME rendering needs no Foundation.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode<C: Collection<UInt8>>(_ bytes: C) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            let b0 = input[index]
            let b1 = index + 1 < input.count ? input[index + 1] : 0
            let b2 = index + 2 < input.count ? input[index + 2] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(index + 1 < input.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            output.append(index + 2 < input.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
