import Foundation
import RapportTestSupport
import Testing

extension RapportCLITests {
    /// The SQLite store on a disk that fills up under a dispatching daemon: a real `tmpfs`
    /// filled to the last byte, not a simulation.
    @Suite struct FullDisk {
        /// The daemon stops dispatching and says why in its log and in `rapport status`; no
        /// message is marked sent that was not, and once there is room again it says so and
        /// finishes, nothing lost.
        @Test(.enabled(if: SmallFilesystem.canMount), .timeLimit(.minutes(3)))
        func aFullDiskPausesTheDaemonUntilThereIsRoom() throws {
            let disk = try SmallFilesystem(megabytes: 16)
            defer { disk.unmount() }
            let count = 200
            let harness = try WebhookCrashHarness(
                "full-disk", messages: count, store: "path = \"\(disk.path)/rapport.sqlite\"", leaseSeconds: 10,
                batchSize: 20, ratePerSecond: 20)
            defer { harness.sink.stop() }
            let daemon = try startRapport(["run", "--config", harness.config], environment: harness.environment)
            defer { daemon.stop() }
            let sending = waitUntil(timeout: .seconds(60), interval: .milliseconds(50)) {
                ((try? harness.receivedIDs().count) ?? 0) >= 20
            }
            try #require(sending, "nothing sent: \(daemon.stderr.suffix(2_000))")

            let filler = try disk.fill()
            let paused = waitUntil(timeout: .seconds(20), interval: .milliseconds(100)) {
                daemon.stderr.contains("the store cannot be written")
            }
            try #require(paused, "no pause logged: \(daemon.stderr.suffix(2_000))")
            let receivedAtPause = try harness.receivedIDs().count
            let sentAtPause = try queue(config: harness.config, environment: harness.environment)
                .filter { $0.state == "sent" }.count
            Thread.sleep(forTimeInterval: 3)
            // Only sends already under way when the writes began to fail: one per worker.
            #expect(try harness.receivedIDs().count <= receivedAtPause + 4)
            #expect(
                try queue(config: harness.config, environment: harness.environment).filter { $0.state == "sent" }
                    .count == sentAtPause)
            let status = try rapport(["status", "--config", harness.config], environment: harness.environment)
            #expect(status.stdout.contains("NOT WRITABLE: the disk is full"), "\(status)")

            try FileManager.default.removeItem(atPath: filler)
            let (finished, remaining) = try harness.waitUntilAllSent(timeout: .seconds(60))
            try #require(finished, "not sent: \(remaining.prefix(5))\n\(daemon.stderr.suffix(2_000))")
            #expect(daemon.stderr.contains("the store is writable again: dispatch resumed"))
            let delivery = try harness.expectEveryMessageDelivered(repeatsAtMost: 4, after: "a full disk")
            #expect(delivery.lost == 0)
            let after = try rapport(["status", "--config", harness.config], environment: harness.environment)
            #expect(!after.stdout.contains("NOT WRITABLE"), "\(after.stdout)")
            print(
                "full disk: paused with \(receivedAtPause) of \(count) received, \(delivery.lost) lost, "
                    + "\(delivery.duplicates) duplicates")
        }
    }
}
