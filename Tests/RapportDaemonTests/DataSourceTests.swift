import Foundation
import RapportCore
import Testing

@testable import RapportDaemon

/// The data file is read once per plan: the bytes read to hash it serve the load that follows,
/// but only while the file is as it was then.
@Suite struct DataSourceTests {
    func csv(_ ids: [String]) -> String {
        (["id,name,email,kind,timezone"] + ids.map { "\($0),Name \($0),\($0)@example.com,client,UTC" })
            .joined(separator: "\n") + "\n"
    }

    @Test func theHashedBytesServeTheNextLoad() throws {
        let sandbox = Sandbox()
        sandbox.write("contacts.csv", csv(["a", "b"]))
        let source = DataSource(path: sandbox.path("contacts.csv"), parser: SnapshotParser())
        let hash = try #require(source.contentHash())
        let snapshot = try source.load()
        #expect(snapshot.contacts.map(\.id) == ["a", "b"])
        #expect(source.loadedHash == hash)
    }

    @Test func aFileChangedAfterHashingIsReadAgain() throws {
        let sandbox = Sandbox()
        sandbox.write("contacts.csv", csv(["a", "b"]))
        let source = DataSource(path: sandbox.path("contacts.csv"), parser: SnapshotParser())
        let before = try #require(source.contentHash())
        // Replaced (another inode and size) between the hash and the load.
        sandbox.write("contacts.csv", csv(["a", "b", "c"]))
        let snapshot = try source.load()
        #expect(snapshot.contacts.map(\.id) == ["a", "b", "c"])
        #expect(source.loadedHash != before)
        #expect(source.loadedHash == source.contentHash())
    }

    @Test func droppedBytesAreReadAgainFromTheFile() throws {
        let sandbox = Sandbox()
        sandbox.write("contacts.csv", csv(["a"]))
        let source = DataSource(path: sandbox.path("contacts.csv"), parser: SnapshotParser())
        _ = source.contentHash()
        source.dropReadAhead()
        #expect(try source.load().contacts.map(\.id) == ["a"])
        // Taken once: a second load reads the file.
        #expect(try source.load().contacts.map(\.id) == ["a"])
    }
}
