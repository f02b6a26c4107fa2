import Hummingbird

/// A group of routes the ``HTTPListener`` serves. Each feature that answers over HTTP (the
/// observability endpoints now, an unsubscribe link later) is one conformance, registered on the
/// listener's router at start-up.
public protocol HTTPRoutes: Sendable {
    /// Adds this group's routes to `router`.
    func register(on router: Router<BasicRequestContext>)
}
