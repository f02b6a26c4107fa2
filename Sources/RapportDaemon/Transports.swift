import RapportCore
import RapportDelivery

/// The transports of each channel, built from the configuration: one per concurrent send
/// (`concurrency`), so that each keeps its own connection to the relay or endpoint.
public struct Transports: Sendable {
    /// Per channel, one transport per worker; never empty.
    public let pools: [Channel: [any Transport]]
    /// Where lifecycle events go (`[events]`); `nil` when none are subscribed.
    public let events: (any Transport)?

    /// One transport per channel (tests, and a single connection per peer).
    public init(email: any Transport, webhook: any Transport, events: (any Transport)? = nil) {
        pools = [.email: [email], .webhook: [webhook]]
        self.events = events
    }

    /// The given transports per channel; a channel missing or empty is an error.
    public init(pools: [Channel: [any Transport]], events: (any Transport)? = nil) {
        precondition(Channel.allCases.allSatisfy { pools[$0]?.isEmpty == false }, "every channel needs a transport")
        self.pools = pools
        self.events = events
    }

    /// Builds the configured transports, `concurrency` of each; fails on a bad URL or an
    /// unwritable folder.
    public init(configuration: Configuration) throws {
        Curl.globalInit()
        var pools: [Channel: [any Transport]] = [:]
        for channel in Channel.allCases {
            let count = configuration.deliveryLimits[channel]?.concurrency ?? 1
            pools[channel] = try (0..<count).map { _ in try Self.make(channel, configuration) }
        }
        self.pools = pools
        switch configuration.events?.destination {
        case .http(let settings): events = try WebhookTransport(settings)
        case .maildir(let directory): events = try MaildirTransport(directory: directory, channel: .webhook)
        case nil: events = nil
        }
    }

    private static func make(_ channel: Channel, _ configuration: Configuration) throws -> any Transport {
        switch channel {
        case .email:
            switch configuration.email {
            case .smtp(let settings): return try SMTPTransport(settings)
            case .maildir(let directory): return try MaildirTransport(directory: directory, channel: .email)
            }
        case .webhook:
            switch configuration.webhook {
            case .http(let settings): return try WebhookTransport(settings)
            case .maildir(let directory): return try MaildirTransport(directory: directory, channel: .webhook)
            }
        }
    }

    /// The first transport of a channel.
    public func transport(for channel: Channel) -> any Transport {
        pools[channel]![0]
    }
}
