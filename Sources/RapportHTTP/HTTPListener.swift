import Dispatch
import Hummingbird
import Logging
import RapportDaemon
import Synchronization

/// The optional HTTP listener (`[http] listen = "127.0.0.1:9465"`): a Hummingbird application
/// serving every registered ``HTTPRoutes`` group, run on Swift concurrency's threads beside the
/// Dispatch-based daemon.
public final class HTTPListener: Sendable {
    public let address: HTTPListenAddress
    private let routes: [any HTTPRoutes]
    private let logger: Logger
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    public init(address: HTTPListenAddress, routes: [any HTTPRoutes], logger: Logger) {
        self.address = address
        self.routes = routes
        self.logger = logger
    }

    /// Binds and starts serving; returns once the socket listens, or throws when it cannot
    /// bind within `timeout` (the address is taken, say).
    public func start(timeout: Duration = .seconds(10)) throws(HTTPListenerError) {
        let router = Router()
        for group in routes { group.register(on: router) }
        let outcome = Mutex<Result<Void, HTTPListenerError>?>(nil)
        let settled = DispatchSemaphore(value: 0)
        let address = address
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port)),
            onServerRunning: { _ in
                outcome.withLock { $0 = $0 ?? .success(()) }
                settled.signal()
            },
            logger: logger)
        let running = Task {
            do {
                try await application.run()
            } catch {
                outcome.withLock { $0 = $0 ?? .failure(HTTPListenerError(address: address, problem: "\(error)")) }
                settled.signal()
            }
        }
        task.withLock { $0 = running }
        let nanoseconds = Int(timeout / .nanoseconds(1))
        guard settled.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else {
            running.cancel()
            throw HTTPListenerError(address: address, problem: "not listening after \(timeout)")
        }
        if case .failure(let error) = outcome.withLock({ $0 }) { throw error }
        logger.info("http listener started", metadata: ["listen": "\(address)"])
    }

    /// Stops accepting connections.
    public func stop() {
        task.withLock {
            $0?.cancel()
            $0 = nil
        }
    }
}

/// The listener could not start, naming the address.
public struct HTTPListenerError: Error, Sendable, CustomStringConvertible {
    public var address: HTTPListenAddress
    public var problem: String

    public var description: String { "http.listen \(address): \(problem)" }
}
