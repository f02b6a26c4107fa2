/// Address syntax checks shared by ``Mailbox`` parsing and message validation.
enum MailboxSyntax {
    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// RFC 5322 `atext`.
    static func isAtext(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte)
    }

    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }

    /// Why `address` is not a plausible ASCII dot-atom addr-spec, or `nil` when it is.
    static func addressProblem(_ address: String) -> String? {
        let bytes = Array(address.utf8)
        guard !bytes.isEmpty else { return "empty address" }
        guard bytes.count <= 254 else { return "address longer than 254 octets" }
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")), bytes.firstIndex(of: UInt8(ascii: "@")) == at else {
            return "address \(String(reflecting: address)) must contain exactly one '@'"
        }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !local.isEmpty, local.count <= 64 else {
            return "local part of \(String(reflecting: address)) must be 1 to 64 octets"
        }
        let localAtoms = local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard localAtoms.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isAtext) }) else {
            return "local part of \(String(reflecting: address)) is not a dot-atom"
        }
        guard !domain.isEmpty, domain.count <= 253 else {
            return "domain of \(String(reflecting: address)) must be 1 to 253 octets"
        }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let labelsValid = labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != UInt8(ascii: "-")
                && label.last != UInt8(ascii: "-")
                && label.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
        guard labelsValid else { return "domain of \(String(reflecting: address)) is not a host name" }
        return nil
    }

    /// The display name before `<`: trimmed, unquoted; `nil` when empty.
    static func parseDisplayName(_ raw: String, in text: String) throws(DeliveryConfigurationError) -> String? {
        let trimmed = trimmed(raw)
        guard !trimmed.isEmpty else { return nil }
        guard trimmed.hasPrefix("\"") else {
            if trimmed.contains("\"") || trimmed.contains("<") {
                throw DeliveryConfigurationError("mailbox \(String(reflecting: text)) has a malformed display name")
            }
            return trimmed
        }
        guard trimmed.count >= 2, trimmed.hasSuffix("\"") else {
            throw DeliveryConfigurationError("mailbox \(String(reflecting: text)) has an unterminated quoted name")
        }
        var result = ""
        var escaped = false
        for character in trimmed.dropFirst().dropLast() {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                throw DeliveryConfigurationError("mailbox \(String(reflecting: text)) has a stray quote in its name")
            } else {
                result.append(character)
            }
        }
        if escaped {
            throw DeliveryConfigurationError("mailbox \(String(reflecting: text)) ends its name with a backslash")
        }
        let name = Self.trimmed(result)
        return name.isEmpty ? nil : name
    }
}
