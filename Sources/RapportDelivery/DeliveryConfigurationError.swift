/// A configuration or input value that can never work (bad address, bad secret, bad URL…).
///
/// Thrown at construction time; retrying cannot help.
public struct DeliveryConfigurationError: Error, Sendable, CustomStringConvertible {
    /// One line saying what is wrong.
    public var description: String

    /// Creates an error with a one-line description.
    public init(_ description: String) {
        self.description = description
    }
}
