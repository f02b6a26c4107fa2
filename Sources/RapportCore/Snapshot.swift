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
        if let order = Self.idOrder(of: sorted) { Self.arrange(&sorted, in: order) }
        self.contacts = sorted
        self.source = source
    }

    /// Looks a contact up by id: a binary search of the sorted contacts, instead of a table of
    /// ids beside them (60 MB at a million contacts, for the daemon's life).
    public func contact(id: String) -> Contact? {
        var low = 0
        var high = contacts.count
        while low < high {
            let middle = (low + high) / 2
            if contacts[middle].id < id { low = middle + 1 } else { high = middle }
        }
        return low < contacts.count && contacts[low].id == id ? contacts[low] : nil
    }

    /// The positions of `contacts` in id order, equal ids in the order given; `nil` when they
    /// are in id order already (as exports usually are: then they are only checked).
    ///
    /// Sorting positions, then arranging the contacts along them (``arrange(_:in:)``), takes
    /// no scratch copy of the contacts: `sort` itself takes a buffer of half the array, 130 MB
    /// at a million contacts, at the moment the file and the contacts are both held.
    static func idOrder(of contacts: [Contact]) -> [Int]? {
        idOrder(ofIDs: contacts.lazy.map { $0.id })
    }

    /// The positions of `ids` in order, equal ids in the order given; `nil` when they are in
    /// order already.
    static func idOrder<IDs: RandomAccessCollection<String>>(ofIDs ids: IDs) -> [Int]? where IDs.Index == Int {
        guard zip(ids, ids.dropFirst()).contains(where: { $0 > $1 }) else { return nil }
        var order = Array(ids.indices)
        order.sort { (ids[$0], $0) < (ids[$1], $1) }
        return order
    }

    /// Moves the contact at `order[i]` to position `i`, in place.
    static func arrange(_ contacts: inout [Contact], in order: consuming [Int]) {
        var order = order
        // Follow each cycle once, marking a position done by pointing it at itself.
        for start in order.indices where order[start] != start {
            let first = contacts[start]
            var position = start
            while order[position] != start {
                let next = order[position]
                contacts[position] = contacts[next]
                order[position] = position
                position = next
            }
            contacts[position] = first
            order[position] = position
        }
    }
}
