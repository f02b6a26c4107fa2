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

/// A large file is hashed in two halves side by side; the digest still changes with any byte.
@Suite struct DataDigestTests {
    @Test func aSmallFileIsItsSHA256() {
        // FIPS 180-2's example.
        #expect(
            DataSource.digest(of: Array("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func aLargeFileHashedInHalvesChangesWithAnyByte() {
        var bytes = [UInt8](repeating: 0x61, count: 16 << 20)
        let digest = DataSource.digest(of: bytes)
        #expect(DataSource.digest(of: bytes) == digest)
        for position in [0, bytes.count / 2 - 1, bytes.count / 2, bytes.count - 1] {
            bytes[position] = 0x62
            #expect(DataSource.digest(of: bytes) != digest, "byte \(position)")
            bytes[position] = 0x61
        }
        // The halves swapped are another file.
        let half = bytes.count / 2
        var swapped = bytes
        swapped[0] = 0x62
        var other = bytes
        other[half] = 0x62
        #expect(DataSource.digest(of: swapped) != DataSource.digest(of: other))
        // One byte more is another file.
        #expect(DataSource.digest(of: bytes + [0x61]) != digest)
    }
}
