/// Checks and neutralises header field text so no value can start a new header line.
enum HeaderSyntax {
    /// Header names this module writes itself; extra headers may not repeat them.
    static let reservedNames: Set<String> = [
        "date", "message-id", "from", "to", "cc", "bcc", "reply-to", "subject", "mime-version",
        "content-type", "content-transfer-encoding", "sender", "return-path",
    ]

    /// Why `value` may not appear in a header, or `nil` when it may. CR, LF and other controls (but tab) are refused.
    static func valueProblem(_ value: String) -> String? {
        if value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            return "contains CR or LF (header injection refused)"
        }
        if value.unicodeScalars.contains(where: isForbiddenControl) {
            return "contains a control character"
        }
        return nil
    }

    /// Why `name` is not a usable extra header name, or `nil`.
    static func nameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 76 else { return "header name must be 1 to 76 characters" }
        guard bytes.allSatisfy({ (33...126).contains($0) && $0 != UInt8(ascii: ":") }) else {
            return "header name \(String(reflecting: name)) has characters outside RFC 5322 ftext"
        }
        if reservedNames.contains(name.lowercased()) {
            return "header \(name) is written by the renderer and may not be given as an extra header"
        }
        return nil
    }

    /// `value` with every control character (CR and LF included) replaced by a space.
    static func neutralised(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || isForbiddenControl($0) }) else {
            return value
        }
        var scalars = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            scalars.append(scalar == "\r" || scalar == "\n" || isForbiddenControl(scalar) ? " " : scalar)
        }
        return String(scalars)
    }

    /// `name` reduced to ftext characters (others become `-`).
    static func neutralisedName(_ name: String) -> String {
        let bytes = name.utf8.map { (33...126).contains($0) && $0 != UInt8(ascii: ":") ? $0 : UInt8(ascii: "-") }
        return bytes.isEmpty ? "X-Empty" : String(decoding: bytes, as: UTF8.self)
    }

    private static func isForbiddenControl(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
            || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
