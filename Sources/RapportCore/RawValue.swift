/// A field value as it was read, before validation: JSON gives typed values, CSV gives text.
public enum RawValue: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([RawValue])
    case object([String: RawValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([RawValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: RawValue].self))
        }
    }

    /// The value of a JSON document; `nil` when `bytes` are not one (the data reader's JSON
    /// parser, which reads what `JSONDecoder` reads).
    public init?(json bytes: some Collection<UInt8>) {
        guard let value = try? JSONValueParser.value(of: bytes) else { return nil }
        self = value
    }

    /// A short name of the value's type, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "text"
        case .array: "a list"
        case .object: "an object"
        }
    }
}
