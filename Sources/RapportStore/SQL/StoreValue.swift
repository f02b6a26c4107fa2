import Foundation

/// One value bound to a statement or read from a row, the same for every backend; also a
/// column's value in an export.
public enum StoreValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// The former name of ``StoreValue``, as exports call it.
public typealias ArchivedValue = StoreValue

/// A Swift value that can be bound to a statement's `?`.
public protocol StoreBindable {
    var storeValue: StoreValue { get }
}

/// A Swift value that can be read from a column.
public protocol StoreDecodable {
    /// `nil` when the column's value cannot be read as this type.
    init?(storeValue: StoreValue)
}

extension StoreValue: StoreBindable, StoreDecodable {
    public var storeValue: StoreValue { self }
    public init?(storeValue: StoreValue) { self = storeValue }
}

extension String: StoreBindable, StoreDecodable {
    public var storeValue: StoreValue { .text(self) }
    public init?(storeValue: StoreValue) {
        guard case .text(let text) = storeValue else { return nil }
        self = text
    }
}

extension Int: StoreBindable, StoreDecodable {
    public var storeValue: StoreValue { .integer(Int64(self)) }
    public init?(storeValue: StoreValue) {
        switch storeValue {
        case .integer(let number): self = Int(number)
        case .real(let number) where number.rounded() == number: self = Int(number)
        default: return nil
        }
    }
}

extension Int64: StoreBindable, StoreDecodable {
    public var storeValue: StoreValue { .integer(self) }
    public init?(storeValue: StoreValue) {
        guard let number = Int(storeValue: storeValue) else { return nil }
        self = Int64(number)
    }
}

extension Double: StoreBindable, StoreDecodable {
    public var storeValue: StoreValue { .real(self) }
    public init?(storeValue: StoreValue) {
        switch storeValue {
        case .real(let number): self = number
        case .integer(let number): self = Double(number)
        default: return nil
        }
    }
}

/// Stored as 0 or 1 in both backends (an `INTEGER` column).
extension Bool: StoreBindable, StoreDecodable {
    public var storeValue: StoreValue { .integer(self ? 1 : 0) }
    public init?(storeValue: StoreValue) {
        guard let number = Int(storeValue: storeValue) else { return nil }
        self = number != 0
    }
}

extension Data: StoreBindable, StoreDecodable {
    public var storeValue: StoreValue { .blob(self) }
    public init?(storeValue: StoreValue) {
        guard case .blob(let data) = storeValue else { return nil }
        self = data
    }
}

extension Optional: StoreBindable where Wrapped: StoreBindable {
    public var storeValue: StoreValue { self?.storeValue ?? .null }
}

extension Optional: StoreDecodable where Wrapped: StoreDecodable {
    public init?(storeValue: StoreValue) {
        if case .null = storeValue {
            self = .none
        } else if let value = Wrapped(storeValue: storeValue) {
            self = .some(value)
        } else {
            return nil
        }
    }
}

extension StoreValue: Codable {
    private struct Blob: Codable {
        var base64: String
    }

    /// Whole numbers first, so an integer column reads back as one (a REAL column stores a
    /// whole number as a real again); text; `{"base64": …}` for bytes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let number = try? container.decode(Int64.self) {
            self = .integer(number)
        } else if let number = try? container.decode(Double.self) {
            self = .real(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let blob = try? container.decode(Blob.self), let data = Data(base64Encoded: blob.base64) {
            self = .blob(data)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected null, a number, text or {\"base64\": …}")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .integer(let number): try container.encode(number)
        case .real(let number): try container.encode(number)
        case .text(let text): try container.encode(text)
        case .blob(let data): try container.encode(Blob(base64: data.base64EncodedString()))
        }
    }
}
