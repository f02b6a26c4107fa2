import Foundation
import RapportCore

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
        var object = JSONObjectWriter()
        if let manager = accountManager {
            var nested = JSONObjectWriter()
            nested.field("email", manager.email)
            nested.field("name", manager.name)
            object.field("account_manager", object: nested)
        }
        object.field("email", email)
        object.field("id", id)
        object.field("kind", kind)
        object.field("language", language)
        object.field("name", name)
        object.field("tags", strings: tags)
        object.field("tier", tier)
        object.field("timezone", timezone)
        return object.text
    }
}

/// One JSON object, written field by field in the order given (give keys sorted for a
/// canonical document).
struct JSONObjectWriter {
    private var bytes: [UInt8] = []

    /// The object: `{…}`.
    var text: String { String(decoding: utf8, as: UTF8.self) }

    /// The object's bytes: `{…}`.
    var utf8: [UInt8] { (bytes.isEmpty ? [UInt8(ascii: "{")] : bytes) + [UInt8(ascii: "}")] }

    /// A field whose value is a JSON document already (written by this writer, or stored).
    mutating func field(_ name: StaticString, json: some Collection<UInt8>) {
        key(name)
        bytes.append(contentsOf: json)
    }

    /// A date field: ISO 8601 in UTC, to the second (`2026-12-01T09:00:00Z`), as `JSONEncoder`'s
    /// `.iso8601` strategy writes it.
    mutating func field(_ name: StaticString, date: Date) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UTCDigits.iso8601(date))
        bytes.append(UInt8(ascii: "\""))
    }

    /// A string field, left out when `value` is absent.
    mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        Self.write(value, into: &bytes)
    }

    /// An array of strings.
    mutating func field(_ name: StaticString, strings: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (position, item) in strings.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.write(item, into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A nested object.
    mutating func field(_ name: StaticString, object: JSONObjectWriter) {
        field(name, json: object.utf8)
    }

    /// `{` before the first key, `,` before the others, then `"name":`.
    private mutating func key(_ name: StaticString) {
        bytes.append(bytes.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: "\":".utf8)
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
