/// Builds header fields folded at whitespace (RFC 5322 §2.2.3).
enum HeaderFolding {
    /// Lines are folded before they pass this many characters where whitespace allows.
    static let preferredLength = 78
    /// No line may pass this many octets (RFC 5322 §2.1.1).
    static let maximumLength = 998

    /// `Name: word word…` folded with CRLF + space, without the final CRLF; `nil` when a word is too long
    /// to fit a line even on its own.
    static func fold(name: String, words: [String]) -> String? {
        var lines: [String] = []
        var line = name + ":"
        var lineLength = line.utf8.count
        for (index, word) in words.enumerated() {
            let length = word.utf8.count
            if index > 0 && length > 0 && lineLength + 1 + length > preferredLength {
                lines.append(line)
                line = " " + word
                lineLength = 1 + length
            } else {
                line += " " + word
                lineLength += 1 + length
            }
        }
        lines.append(line)
        guard lines.allSatisfy({ $0.utf8.count <= maximumLength }) else { return nil }
        return lines.joined(separator: "\r\n")
    }

    /// An unstructured field (`Subject`, extra headers): kept as text where it is plain ASCII and fits,
    /// otherwise RFC 2047 encoded words.
    static func unstructured(name: String, value: String) -> String {
        if !RFC2047.needsEncoding(value),
            let folded = fold(
                name: name, words: value.split(separator: " ", omittingEmptySubsequences: false).map(String.init))
        {
            return folded
        }
        return encoded(name: name, value: value)
    }

    /// An unstructured field always written as encoded words.
    static func encoded(name: String, value: String) -> String {
        // Encoded words are at most 75 characters, so folding cannot fail.
        fold(name: name, words: RFC2047.encodedWords(value)) ?? name + ":"
    }

    /// An address field holding one mailbox.
    static func mailbox(name: String, _ mailbox: Mailbox) -> String {
        let address = HeaderSyntax.neutralised(mailbox.address)
        var words: [String] = []
        if let displayName = mailbox.name.map(HeaderSyntax.neutralised), !displayName.isEmpty {
            words = phraseWords(displayName)
            words.append("<\(address)>")
        } else {
            words = [address]
        }
        return fold(name: name, words: words) ?? name + ": " + address
    }

    /// A display name as atoms, one quoted string, or encoded words.
    private static func phraseWords(_ name: String) -> [String] {
        let ascii = name.utf8.allSatisfy { (0x20...0x7E).contains($0) }
        guard ascii, !name.contains("=?"), name.utf8.count <= 70 else {
            return RFC2047.encodedWords(name)
        }
        let atoms = name.split(separator: " ", omittingEmptySubsequences: false)
        if atoms.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(MailboxSyntax.isAtext) }) {
            return atoms.map(String.init)
        }
        var quoted = "\""
        for character in name {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        quoted.append("\"")
        return [quoted]
    }
}
