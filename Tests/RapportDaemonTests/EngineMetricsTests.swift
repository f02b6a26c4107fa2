import Foundation
import Logging
import RapportCore
import RapportDaemon
import RapportDelivery
import RapportStore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct EngineMetricsTests {
    let now = try! Date("2026-12-07T10:00:00Z", strategy: .iso8601)

    /// A SIGHUP reads the data even when the file looks unchanged (same size, time and inode).
    @Test func aForcedReloadReadsAnUnchangedLookingFile() throws {
        let sandbox = Sandbox()
        let transport = ScriptedTransport([])
        let engine = try EngineTests().engine(sandbox, transport: transport)
        try engine.reloadDataIfChanged()
        #expect(engine.snapshot?.contacts.map(\.name).contains { $0.hasPrefix("Ada Lovelace") } == true)
        // Rewrite in place with the same length and put the modification time back.
        let path = sandbox.path("contacts.json")
        var before = stat()
        try #require(stat(path, &before) == 0)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(
            contentsOf: Data(sampleContacts.replacingOccurrences(of: "Ada Lovelace", with: "Ada Byron   ").utf8))
        try handle.close()
        var times = [before.st_atim, before.st_mtim]
        try #require(utimensat(AT_FDCWD, path, &times, 0) == 0)

        #expect(try engine.reloadDataIfChanged() == false, "an unforced reload should not notice")
        #expect(try engine.reloadData(force: true))
        #expect(engine.snapshot?.contacts.map(\.name).contains { $0.hasPrefix("Ada Byron") } == true)
    }

    /// Sends and failures are counted by transport, with their latency.
    @Test func sendsAndFailuresAreCounted() throws {
        let sandbox = Sandbox()
        let transport = ScriptedTransport([
            .success("250 OK"), .failure(DeliveryError(kind: .transient, detail: "451 busy")),
        ])
        let engine = try EngineTests().engine(sandbox, transport: transport)
        let metrics = RapportMetrics()
        engine.metrics = metrics
        try engine.reloadDataIfChanged()
        _ = try engine.plan(now: now)
        let report = try engine.dispatch(now: { now })
        #expect(report.sent == 1 && report.retrying == 1, "\(report)")
        metrics.refresh(counts: try engine.store.messageCounts(dueBy: now))
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(text.contains("rapport_sends_total{transport=\"scripted\"} 1"), "\(text)")
        #expect(
            text.contains("rapport_send_failures_total{transport=\"scripted\",error=\"transient\"} 1"), "\(text)")
        #expect(text.contains("rapport_send_duration_seconds_count{transport=\"scripted\"} 2"), "\(text)")
        #expect(text.contains("rapport_messages{state=\"sent\",kind=\"client\",channel=\"email\"} 1"), "\(text)")
    }
}
