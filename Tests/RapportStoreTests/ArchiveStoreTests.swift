import Foundation
import RapportCore
import RapportStore
import Testing

/// Export and import between backends: moving SQLite → PostgreSQL is an export and an import.
@Suite struct ArchiveStoreTests {
    /// A store with messages in several states, attempts, the audit trail, a touchpoint and an
    /// opt-out, exported, imported into a new store of each backend and exported again: the
    /// same rows (numbers compared by value: a whole REAL may come back as an integer).
    @Test(arguments: Backend.available) func anExportImportsIntoEitherBackend(target: Backend) throws {
        let source = try TemporaryStore(.sqlite)
        let store = source.store
        let planned = (0..<6).map { Sample.planned("c-\($0)") }
        try Sample.insert(planned, into: store)
        let claimed = try store.claimDue(now: Sample.now, limit: 3, owner: "d", leaseSeconds: 60)
        for message in claimed {
            try store.record(
                .delivered(detail: "250 ok"), for: message.id, owner: "d", transport: "smtp", startedAt: Sample.now,
                latency: .milliseconds(12), at: Sample.now)
        }
        _ = try store.perform(.hold, on: [planned[5].id], actor: "mary", note: "wait", at: Sample.now)
        try store.recordTouchpoint(
            Touchpoint(contactID: "c-1", at: Sample.now, note: "call", actor: "mary", recordedAt: Sample.now))
        _ = try store.recordOptOut(
            OptOut(contactID: "c-2", at: Sample.now, source: "operator", actor: "mary", note: nil))

        let exported = try rows(of: store)
        let copy = try TemporaryStore(target)
        let counts = try copy.store.importRows(exported.enumerated().map { ($0.offset + 1, $0.element) })
        #expect(counts["message"] == 6 && counts["attempt"] == 3 && counts["touchpoint"] == 1)
        #expect(normalised(try rows(of: copy.store)) == normalised(exported))
        // The imported store goes on working: new audit events get fresh ids.
        _ = try copy.store.perform(.release, on: [planned[5].id], actor: "mary", note: nil, at: Sample.now)
        let events = try copy.store.events(messageID: planned[5].id)
        #expect(events.map(\.action).suffix(2) == ["hold", "release"])
        // And refuses a second import over what it holds.
        #expect(throws: (any Error).self) {
            _ = try copy.store.importRows([(1, exported[0])])
        }
    }

    private func rows(of store: Outbox) throws -> [ArchivedRow] {
        var rows: [ArchivedRow] = []
        try store.exportRows { rows.append($0) }
        return rows
    }

    /// Rows as comparable text, in a fixed order, whole numbers written alike.
    private func normalised(_ rows: [ArchivedRow]) -> [String] {
        rows.map { row in
            row.table + ":"
                + row.values.keys.sorted().map { key -> String in
                    switch row.values[key]! {
                    case .real(let number) where number.rounded() == number: "\(key)=\(Int64(number))"
                    case .integer(let number): "\(key)=\(number)"
                    case let value: "\(key)=\(value)"
                    }
                }.joined(separator: ",")
        }.sorted()
    }
}
