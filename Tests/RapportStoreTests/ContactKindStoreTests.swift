import Foundation
import RapportCore
import RapportStore
import Testing

/// Contact kinds are remembered, and each change is an audit event, in id order: whether a few
/// contacts are recorded (a plan of the changes: their rows looked up) or many (a full plan:
/// every stored row read one at a time).
@Suite struct ContactKindStoreTests {
    @Test(arguments: Backend.available) func aChangedKindIsAnEventInIDOrder(backend: Backend) throws {
        for count in backend == .sqlite ? [3, 20_001] : [3] {
            let temporary = try TemporaryStore(backend)
            let store = temporary.store
            let ids = (0..<count).map { "c" + String(100_000 + $0) }
            #expect(try store.recordKinds(ids.lazy.map { ($0, ContactKind.customer) }, at: Sample.now).isEmpty)
            // Two customers become clients; a new contact is remembered without an event.
            var kinds = ids.map { ($0, ContactKind.customer) }
            kinds[0].1 = .client
            kinds[2].1 = .client
            kinds.append(("z-new", .client))
            let changes = try store.recordKinds(kinds, at: Sample.now)
            #expect(changes.map(\.contactID) == [ids[0], ids[2]], "\(count) contacts")
            #expect(changes.allSatisfy { $0.from == .customer && $0.to == .client })
            // Recorded: the same kinds again change nothing, the new contact's included.
            #expect(try store.recordKinds(kinds, at: Sample.now).isEmpty, "\(count) contacts")
            // And back: a client becomes a customer again.
            kinds[2].1 = .customer
            let back = try store.recordKinds(kinds, at: Sample.now)
            #expect(back.map(\.contactID) == [ids[2]] && back.first?.to == .customer)
        }
    }
}
