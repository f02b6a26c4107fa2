import Foundation
import RapportCore
import Testing

@testable import RapportDaemon

/// The data file is hashed once per plan: the hash taken to decide whether to plan serves the
/// load that follows (which reads the file piece by piece), but only while the file is as it
/// was then; a load without one hashes the file as it reads it.
@Suite struct DataSourceTests {
    func csv(_ ids: [String]) -> String {
        (["id,name,email,kind,timezone"] + ids.map { "\($0),Name \($0),\($0)@example.com,client,UTC" })
            .joined(separator: "\n") + "\n"
    }

    @Test func theHashServesTheNextLoad() throws {
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

    @Test func aLoadHashesTheFileAsItReadsIt() throws {
        let sandbox = Sandbox()
        let text = csv((1...500).map { "c\($0)" })
        sandbox.write("contacts.csv", text)
        let source = DataSource(path: sandbox.path("contacts.csv"), parser: SnapshotParser())
        #expect(try source.load().contacts.count == 500)
        #expect(source.loadedHash == DataSource.digest(of: Array(text.utf8)))
        #expect(source.loadedIndex?.count == 500)
    }

    @Test func aMissingFileOrAnUnknownFormatIsOneErrorNamingTheFile() {
        let sandbox = Sandbox()
        sandbox.write("contacts.yaml", "id: a\n")
        for (name, problem) in [
            ("missing.csv", "cannot read the file"),
            ("contacts.yaml", "unknown data format; use .json, .jsonl or .csv"),
        ] {
            let source = DataSource(path: sandbox.path(name), parser: SnapshotParser())
            #expect(throws: DataErrors.self) { try source.load() }
            do {
                _ = try source.load()
            } catch {
                #expect(error.errors.map(\.problem) == [problem])
                #expect(error.errors.map(\.file) == [sandbox.path(name)])
            }
        }
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

    /// Fed block by block as a file is read, the digest is the digest of the whole bytes, at
    /// any block size and on either side of the 16 MiB line; a count other than the size the
    /// file had when opened gives none.
    @Test func aFileHashedAsItIsReadHasTheDigestOfItsBytes() {
        for size in [0, 3, 16 << 20, (16 << 20) + 7] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
            for block in [1 << 20, (4 << 20) + 1, 7_777_777] {
                var digester = DataSource.FileDigester(size: size)
                var offset = 0
                while offset < size {
                    let end = min(offset + block, size)
                    bytes[offset..<end].withUnsafeBytes { digester.update($0) }
                    offset = end
                }
                #expect(digester.finalize(count: size) == DataSource.digest(of: bytes), "size \(size), block \(block)")
                #expect(digester.finalize(count: size + 1) == nil)
            }
        }
    }
}

/// The file is read into one array, from 16 MiB as two halves side by side: the same bytes as
/// a plain read, whatever the size.
@Suite struct DataFileContentsTests {
    @Test func aFileReadInHalvesHasTheBytesOfAPlainRead() throws {
        let sandbox = Sandbox()
        for size in [0, 1, 4_097, (16 << 20) - 1, 16 << 20, (16 << 20) + 1, (16 << 20) + 65_537] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 11) }
            let file = sandbox.path("data-\(size).csv")
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let read = try #require(DataSource.contents(of: file), "size \(size)")
            #expect(read.count == size)
            #expect(read == bytes, "size \(size)")
        }
    }

    @Test func aMissingFileHasNoContents() {
        #expect(DataSource.contents(of: Sandbox().path("missing.csv")) == nil)
    }
}

/// Work split over two threads gives what one thread gives, in the same order.
@Suite struct ParallelMapTests {
    @Test func theResultsAreInTheOrderOfTheItems() {
        for count in [0, 1, 63, 64, 65, 1_000] {
            let items = Array(0..<count)
            #expect(Parallel.map(items) { $0 * 3 + 1 } == items.map { $0 * 3 + 1 }, "count \(count)")
            #expect(Parallel.map(items[...], splittingFrom: 2) { "\($0)" } == items.map { "\($0)" })
        }
    }

    /// The closure is made escaping for the other thread only for the call; the runtime checks
    /// that no reference to it is left when the call returns (a crash otherwise), a thousand
    /// times over.
    @Test func theTransformIsNotKeptAfterTheCall() {
        var total = 0
        for round in 0..<1_000 {
            let offset = round
            total += Parallel.map(Array(0..<128)) { $0 + offset }.reduce(0, +)
        }
        #expect(total == (0..<1_000).reduce(0) { $0 + 128 * $1 + 127 * 128 / 2 })
    }
}
