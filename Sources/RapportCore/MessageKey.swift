import Crypto

/// The deterministic identity of one planned occurrence: (contact, rule, occurrence).
///
/// Planning twice yields the same key, so the outbox (where the key is unique) never holds an
/// occurrence twice. The short ``id`` derived from it is what operators type and what goes out
/// as `Message-ID` and `webhook-id`, so a resend after a crash carries the same id.
public struct MessageKey: Sendable, Hashable, CustomStringConvertible {
    public var contactID: String { didSet { idNumber = Self.hashed(description) } }
    public var rule: RuleID { didSet { idNumber = Self.hashed(description) } }
    /// What distinguishes occurrences of one rule for one contact: the local date of a
    /// progress report, the anchor a check-in counts from, `once` for a campaign.
    public var occurrence: String { didSet { idNumber = Self.hashed(description) } }

    /// The number ``id`` writes in hex: what a million history entries hold instead of a
    /// million 16-character strings (which do not fit a string's inline 15 bytes). Worked out
    /// once, with the key: a plan asks a message for its id several times (to match it, render
    /// it, store it, list it).
    public private(set) var idNumber: UInt64

    public init(contactID: String, rule: RuleID, occurrence: String) {
        self.contactID = contactID
        self.rule = rule
        self.occurrence = occurrence
        idNumber = 0
        idNumber = Self.hashed(description)
    }

    public var description: String { "\(contactID)|\(rule)|\(occurrence)" }

    /// 16 hex digits of SHA-256 over the key: short enough to type, 64 bits against collisions.
    public var id: String { Self.id(of: idNumber) }

    /// The first 64 bits of the SHA-256 of a key's ``description``.
    private static func hashed(_ description: String) -> UInt64 {
        SHA256.hash(data: Array(description.utf8)).withUnsafeBytes { digest in
            (0..<8).reduce(0) { $0 << 8 | UInt64(digest[$1]) }
        }
    }

    /// The number an id writes, when it is 16 lowercase hex digits (so that ``id(of:)``
    /// writes it back); `nil` for any other text.
    public static func idNumber(of id: String) -> UInt64? {
        var number: UInt64 = 0
        var digits = 0
        for byte in id.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            digits += 1
            if digits > 16 { return nil }
            number = number << 4 | UInt64(value)
        }
        return digits == 16 ? number : nil
    }

    /// The id an ``idNumber`` writes: its 16 hex digits.
    public static func id(of number: UInt64) -> String {
        // Written in place: a plan asks for a million of them.
        String(unsafeUninitializedCapacity: 16) { buffer in
            for position in 0..<16 {
                let digit = UInt8(truncatingIfNeeded: number >> (60 - 4 * position)) & 0x0F
                buffer[position] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            }
            return 16
        }
    }
}
