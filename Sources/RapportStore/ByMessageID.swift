import RapportCore

/// Values by message id, each id held as the number its 16 hex digits write
/// (``MessageKey/idNumber``): a 16-character string does not fit a Swift string's 15 inline
/// bytes, so a table of a million of them made a million heap allocations. An id that is not
/// 16 lowercase hex digits is held as it is.
public struct ByMessageID<Value: Sendable>: Sendable {
    private var numbered: [UInt64: Value] = [:]
    private var other: [String: Value] = [:]

    public init() {}

    public var count: Int { numbered.count + other.count }

    public subscript(id: String) -> Value? {
        get {
            if let number = MessageKey.idNumber(of: id) { return numbered[number] }
            return other[id]
        }
        set {
            if let number = MessageKey.idNumber(of: id) {
                numbered[number] = newValue
            } else {
                other[id] = newValue
            }
        }
    }
}

/// A text that is usually a SHA-256 in lowercase hex, held as its 32 bytes when it is one (an
/// 80-byte heap allocation saved for each of a million open messages' content digests).
public struct CompactDigest: Sendable, Hashable {
    private enum Storage: Sendable, Hashable {
        case sha256(UInt64, UInt64, UInt64, UInt64)
        case text(String)
    }
    private let storage: Storage

    public init(_ text: String) {
        let bytes = Array(text.utf8)
        if bytes.count == 64, let a = Self.word(bytes, 0), let b = Self.word(bytes, 1), let c = Self.word(bytes, 2),
            let d = Self.word(bytes, 3)
        {
            storage = .sha256(a, b, c, d)
        } else {
            storage = .text(text)
        }
    }

    /// The text it was made from.
    public var text: String {
        switch storage {
        case .sha256(let a, let b, let c, let d):
            MessageKey.id(of: a) + MessageKey.id(of: b) + MessageKey.id(of: c) + MessageKey.id(of: d)
        case .text(let text): text
        }
    }

    private static func word(_ bytes: [UInt8], _ index: Int) -> UInt64? {
        MessageKey.idNumber(of: String(decoding: bytes[(index * 16)..<(index * 16 + 16)], as: UTF8.self))
    }
}
