import CoreMetrics
import Foundation
import Prometheus
import RapportCore
import RapportStore
import Synchronization

/// Rapport's metrics, kept in a Prometheus registry of their own and created through
/// swift-metrics with that registry's factory (no global bootstrap, so tests can hold several).
///
/// | name | type | labels |
/// |---|---|---|
/// | `rapport_messages` | gauge | `state`, `kind`, `channel` |
/// | `rapport_messages_due` | gauge | — |
/// | `rapport_sends_total` | counter | `transport` |
/// | `rapport_send_failures_total` | counter | `transport`, `error` (`transient`/`permanent`) |
/// | `rapport_send_duration_seconds` | histogram | `transport` |
/// | `rapport_tick_duration_seconds` | histogram | — |
/// | `rapport_ticks_total` / `rapport_tick_failures_total` | counter | — |
/// | `rapport_data_reload_errors_total` | counter | — |
/// | `rapport_config_reload_errors_total` | counter | — |
/// | `rapport_last_successful_tick_timestamp_seconds` | gauge | — |
public final class RapportMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let ticks: CoreMetrics.Counter
    private let tickFailures: CoreMetrics.Counter
    private let tickDuration: CoreMetrics.Timer
    private let dataReloadErrors: CoreMetrics.Counter
    private let configReloadErrors: CoreMetrics.Counter
    private let lastSuccessfulTick: CoreMetrics.Gauge
    private let due: CoreMetrics.Gauge
    private let messages: [MessageGaugeKey: CoreMetrics.Gauge]
    private let transportMetrics: Mutex<[String: TransportMetrics]> = Mutex([:])

    struct MessageGaugeKey: Hashable {
        var state: MessageState
        var kind: ContactKind
        var channel: Channel
    }

    struct TransportMetrics: Sendable {
        var sends: CoreMetrics.Counter
        var transient: CoreMetrics.Counter
        var permanent: CoreMetrics.Counter
        var duration: CoreMetrics.Timer
    }

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["rapport_send_duration_seconds"] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
        ]
        factory.durationHistogramBuckets["rapport_tick_duration_seconds"] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
            .seconds(15), .seconds(60), .seconds(300),
        ]
        self.registry = registry
        self.factory = factory
        ticks = CoreMetrics.Counter(label: "rapport_ticks_total", factory: factory)
        tickFailures = CoreMetrics.Counter(label: "rapport_tick_failures_total", factory: factory)
        tickDuration = CoreMetrics.Timer(label: "rapport_tick_duration_seconds", factory: factory)
        dataReloadErrors = CoreMetrics.Counter(label: "rapport_data_reload_errors_total", factory: factory)
        configReloadErrors = CoreMetrics.Counter(label: "rapport_config_reload_errors_total", factory: factory)
        lastSuccessfulTick = CoreMetrics.Gauge(
            label: "rapport_last_successful_tick_timestamp_seconds", factory: factory)
        due = CoreMetrics.Gauge(label: "rapport_messages_due", factory: factory)
        var messages: [MessageGaugeKey: CoreMetrics.Gauge] = [:]
        for state in MessageState.allCases {
            for kind in ContactKind.allCases {
                for channel in Channel.allCases {
                    messages[MessageGaugeKey(state: state, kind: kind, channel: channel)] = CoreMetrics.Gauge(
                        label: "rapport_messages",
                        dimensions: [
                            ("state", state.rawValue), ("kind", kind.rawValue), ("channel", channel.rawValue),
                        ],
                        factory: factory)
                }
            }
        }
        self.messages = messages
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    /// A tick ended.
    public func tickFinished(duration: Duration, succeeded: Bool, at date: Date) {
        ticks.increment()
        tickDuration.recordNanoseconds(Int64(duration / .nanoseconds(1)))
        if succeeded {
            lastSuccessfulTick.record(date.timeIntervalSince1970)
        } else {
            tickFailures.increment()
        }
    }

    /// The data file was rejected.
    public func dataReloadFailed() { dataReloadErrors.increment() }

    /// A SIGHUP reload was rejected.
    public func configReloadFailed() { configReloadErrors.increment() }

    /// Sets every `rapport_messages` gauge from the store's counts; combinations absent from
    /// `counts` are set to 0 so that no stale value lingers.
    public func refresh(counts: [MessageCount]) {
        var totals: [MessageGaugeKey: Int] = [:]
        var dueTotal = 0
        for count in counts {
            totals[MessageGaugeKey(state: count.state, kind: count.kind, channel: count.channel), default: 0] +=
                count.count
            dueTotal += count.due
        }
        for (key, gauge) in messages { gauge.record(totals[key] ?? 0) }
        due.record(dueTotal)
    }

    /// A delivery ended: `outcome` is `nil` for success, else whether the failure was transient.
    public func recordSend(transport: String, failure: SendFailure?, duration: Duration) {
        let metrics = transportMetrics.withLock { table in
            if let existing = table[transport] { return existing }
            let created = TransportMetrics(
                sends: CoreMetrics.Counter(
                    label: "rapport_sends_total", dimensions: [("transport", transport)], factory: factory),
                transient: CoreMetrics.Counter(
                    label: "rapport_send_failures_total",
                    dimensions: [("transport", transport), ("error", "transient")],
                    factory: factory),
                permanent: CoreMetrics.Counter(
                    label: "rapport_send_failures_total",
                    dimensions: [("transport", transport), ("error", "permanent")],
                    factory: factory),
                duration: CoreMetrics.Timer(
                    label: "rapport_send_duration_seconds", dimensions: [("transport", transport)], factory: factory))
            table[transport] = created
            return created
        }
        metrics.duration.recordNanoseconds(Int64(duration / .nanoseconds(1)))
        switch failure {
        case nil: metrics.sends.increment()
        case .transient: metrics.transient.increment()
        case .permanent: metrics.permanent.increment()
        }
    }

    /// How a delivery failed, for ``recordSend(transport:failure:duration:)``.
    public enum SendFailure: Sendable {
        case transient
        case permanent
    }
}
