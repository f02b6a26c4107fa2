/// A person's address with an optional display name.
///
/// The memberwise initializer does not validate (it cannot throw); transports and ``MIMEMessage`` check every
/// mailbox again before use, so an invalid one fails delivery permanently instead of reaching the wire.
public struct Mailbox: Sendable, Hashable {
    /// The display name, e.g. `Zoë Ångström`; any Unicode, no CR or LF.
    public var name: String?
    /// The addr-spec, e.g. `zoe@example.com` (ASCII only).
    public var address: String

    /// Creates a mailbox without validating it.
    public init(name: String?, address: String) {
        self.name = name
        self.address = address
    }

    /// Parses `Name <a@b>`, `"Quoted, Name" <a@b>`, `<a@b>` or `a@b`.
    ///
    /// - Throws: ``DeliveryConfigurationError`` when the text is not one mailbox with a plausible address.
    public init(parsing text: String) throws(DeliveryConfigurationError) {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw DeliveryConfigurationError("mailbox \(String(reflecting: text)) contains control characters")
        }
        let trimmed = MailboxSyntax.trimmed(text)
        var name: String?
        var address = trimmed
        if let open = trimmed.lastIndex(of: "<") {
            guard trimmed.hasSuffix(">") else {
                throw DeliveryConfigurationError("mailbox \(String(reflecting: text)) has no closing '>'")
            }
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            name = try MailboxSyntax.parseDisplayName(String(trimmed[..<open]), in: text)
        } else if trimmed.contains(">") {
            throw DeliveryConfigurationError("mailbox \(String(reflecting: text)) has '>' without '<'")
        }
        if let problem = MailboxSyntax.addressProblem(address) {
            throw DeliveryConfigurationError("mailbox \(String(reflecting: text)): \(problem)")
        }
        self.init(name: name, address: address)
    }

    /// The domain part of the address (after the last `@`).
    public var domain: String {
        guard let at = address.lastIndex(of: "@") else { return address }
        return String(address[address.index(after: at)...])
    }

    /// Checks the address and the display name; `role` names the field in the error (`From`, `To`…).
    func validate(role: String) throws(DeliveryError) {
        if let problem = MailboxSyntax.addressProblem(address) {
            throw .invalid("\(role): \(problem)")
        }
        if let name, let problem = HeaderSyntax.valueProblem(name) {
            throw .invalid("\(role) display name \(problem)")
        }
    }
}
