import Foundation

/// A validated, immutable view of the relationship data at one moment.
///
/// A snapshot is only ever built from a file that validated completely: a malformed export
/// never replaces the last good snapshot.
public struct Snapshot: Sendable {
    /// Contacts sorted by id, so that everything derived from a snapshot is independent of the
    /// order of the rows in the file.
    public let contacts: [Contact]
    /// Where the data came from, for messages.
    public let source: String

    public init(contacts: [Contact], source: String) {
        self.contacts = contacts.sorted { $0.id < $1.id }
        self.source = source
        self.positions = Dictionary(uniqueKeysWithValues: self.contacts.enumerated().map { ($1.id, $0) })
    }

    /// Looks a contact up by id.
    public func contact(id: String) -> Contact? {
        positions[id].map { contacts[$0] }
    }

    private let positions: [String: Int]
}
