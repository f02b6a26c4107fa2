import ArgumentParser
import Foundation
import RapportCore
import RapportDaemon
import RapportStore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Is a daemon running, when did it last tick, what failed, how many messages in each state.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON.")
    var json = false

    struct Report: Encodable {
        var running: Bool
        var daemon: DaemonHeartbeat?
        var store: String
        var backend: String
        /// Why the store cannot be written now (`nil` when it can): dispatch is paused.
        var unwritable: String?
        var counts: [String: Int]
        /// Lifecycle events by state (`pending`, `sending`, `sent`, `failed`).
        var events: [String: Int]
    }

    /// Why `store` cannot be written now, or `nil` when it can (or fails otherwise: the reads
    /// that follow report that).
    static func unwritableReason(_ store: Outbox, at date: Date) -> String? {
        do {
            try store.checkWritable(at: date)
            return nil
        } catch {
            return error.code == .unwritable ? error.detail : nil
        }
    }

    func run() throws {
        let workspace = try Workspace.open(global)
        let beats = try workspace.store.heartbeats()
        let latest = beats.first
        let now = Date()
        // The lock is the authority for a local store; testing it never takes it. Daemons
        // sharing PostgreSQL have no common lock: a fresh heartbeat is the sign of life.
        let store = workspace.store
        let live = beats.filter { beat in
            beat.stoppedAt == nil
                && now.timeIntervalSince(beat.lastTickAt ?? beat.startedAt) <= 3 * beat.tickSeconds + 5
        }
        let locked =
            store.isEmbedded ? StoreLock.isHeld(storePath: workspace.configuration.storePath) : !live.isEmpty
        let backend = store.isEmbedded ? "sqlite" : "postgres"
        // A paused daemon cannot record why in its heartbeat: see for ourselves.
        let unwritable = Self.unwritableReason(store, at: now)
        let counts = try store.countsByState()
        let events = try store.eventCounts()
        let report = Report(
            running: locked, daemon: latest, store: store.location, backend: backend, unwritable: unwritable,
            counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }), events: events)
        if json {
            print(jsonText(report))
            return
        }
        if locked, let latest {
            print(
                "daemon    running: pid \(latest.pid) on \(latest.host), since \(latest.startedAt.formatted(.iso8601))")
        } else if locked {
            print("daemon    running (no heartbeat yet)")
        } else {
            let stopped = latest?.stoppedAt.map { ", stopped \(ago($0, now: now))" } ?? ""
            print("daemon    not running\(stopped)")
        }
        if let latest {
            if let tick = latest.lastTickAt {
                let late = locked && now.timeIntervalSince(tick) > 3 * latest.tickSeconds + 5
                print(
                    "last tick \(ago(tick, now: now))"
                        + (late ? "  (LATE: ticks every \(Int(latest.tickSeconds)) s)" : ""))
            }
            if let error = latest.lastError, let at = latest.lastErrorAt {
                print("last error \(ago(at, now: now)): \(error)")
            }
            for transport in latest.transports {
                var line = "transport \(transport.name): "
                if transport.isFailing {
                    line += "FAILING (\(transport.consecutiveFailures) in a row): \(transport.lastFailure ?? "")"
                } else {
                    line += "ok" + (transport.lastSuccessAt.map { ", last success \(ago($0, now: now))" } ?? "")
                }
                print(line)
            }
        }
        if !store.isEmbedded, live.count > 1 {
            print(
                "daemons   \(live.count) running: " + live.map { "pid \($0.pid) on \($0.host)" }.joined(separator: ", ")
            )
        }
        print("store     \(backend) \(store.location)" + (unwritable.map { "  NOT WRITABLE: \($0)" } ?? ""))
        let parts = MessageState.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue)" } }
        print("messages  " + (parts.isEmpty ? "none" : parts.joined(separator: ", ")))
        if !events.isEmpty {
            let order = ["pending", "sending", "sent", "failed"]
            let eventParts = order.compactMap { state in events[state].map { "\($0) \(state)" } }
            print(
                "events    " + eventParts.joined(separator: ", ")
                    + ((events["failed"] ?? 0) > 0 ? "  (FAILED events)" : ""))
        }
    }
}

/// "3 min ago", "in 2 h".
func ago(_ date: Date, now: Date) -> String {
    let seconds = Int(now.timeIntervalSince(date))
    let magnitude = abs(seconds)
    let text: String
    switch magnitude {
    case ..<90: text = "\(magnitude) s"
    case ..<5400: text = "\(magnitude / 60) min"
    case ..<172_800: text = "\(magnitude / 3600) h"
    default: text = "\(magnitude / 86_400) d"
    }
    return seconds >= 0 ? "\(text) ago" : "in \(text)"
}
