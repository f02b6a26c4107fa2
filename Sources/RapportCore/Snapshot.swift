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

    /// `contacts` is taken over and sorted in place: a caller that hands over its last copy
    /// (the parser does) needs no second array of a million contacts.
    public init(contacts: consuming [Contact], source: String) {
        var sorted = contacts
        sorted.sort { $0.id < $1.id }
        self.contacts = sorted
        self.source = source
        var positions: [String: Int] = Dictionary(minimumCapacity: sorted.count)
        for (position, contact) in sorted.enumerated() { positions[contact.id] = position }
        self.positions = positions
    }

    /// Looks a contact up by id.
    public func contact(id: String) -> Contact? {
        positions[id].map { contacts[$0] }
    }

    private let positions: [String: Int]
}
