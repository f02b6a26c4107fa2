/// The stored contact JSON, written directly.
///
/// Every planned message stores its contact's fields as JSON (for the webhook body, `show` and
/// the account-manager filter), so a large plan writes it a million times; `JSONEncoder` made
/// that a visible part of planning. This writer gives the same document: keys sorted, optional
/// fields left out when absent, strings escaped as JSON requires. It is read back with
/// `JSONDecoder` like any other.
extension ContactPayload {
    /// The payload as JSON with sorted keys.
    public var json: String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        var first = true
        func key(_ name: StaticString) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        /// A string field, left out when absent.
        func field(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            Self.write(value, into: &out)
        }
        if let manager = accountManager {
            key("account_manager")
            out.append(contentsOf: manager.json.utf8)
        }
        field("email", email)
        field("id", id)
        field("kind", kind)
        field("language", language)
        field("name", name)
        key("tags")
        out.append(UInt8(ascii: "["))
        for (position, tag) in tags.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            Self.write(tag, into: &out)
        }
        out.append(UInt8(ascii: "]"))
        field("tier", tier)
        field("timezone", timezone)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped,
    /// everything else as its UTF-8 bytes.
    static func write(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: "\\r".utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension ContactPayload.Manager {
    /// `{"email":…,"name":…}`, the email left out when absent.
    var json: String {
        var out: [UInt8] = Array("{".utf8)
        if let email {
            out.append(contentsOf: "\"email\":".utf8)
            ContactPayload.write(email, into: &out)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: "\"name\":".utf8)
        ContactPayload.write(name, into: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
