import Dispatch
import Hummingbird
import RapportDaemon

/// `/metrics` (Prometheus text), `/healthz` (the process answers) and `/readyz` (the store
/// answers and a tick succeeded recently; 503 otherwise, with the reasons in the body).
public struct ObservabilityRoutes: HTTPRoutes {
    public let metrics: RapportMetrics
    public let health: DaemonHealth

    public init(metrics: RapportMetrics, health: DaemonHealth) {
        self.metrics = metrics
        self.health = health
    }

    /// The content type of the Prometheus text format 0.0.4.
    public static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    public func register(on router: Router<BasicRequestContext>) {
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: Self.prometheusContentType],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        router.get("healthz") { _, _ in
            Self.text(.ok, "ok\n")
        }
        router.get("readyz") { _, _ in
            let readiness = await Self.offEventLoop { health.readiness() }
            if readiness.isReady { return Self.text(.ok, "ready\n") }
            return Self.text(
                .serviceUnavailable, "not ready\n" + readiness.problems.map { "- \($0)\n" }.joined())
        }
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// Runs blocking work (an SQLite query) on a Dispatch queue, not on the server's event loop.
    static func offEventLoop<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}
