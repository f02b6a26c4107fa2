import RapportCore
import RapportDelivery

/// The transport for each channel, built from the configuration.
public struct Transports: Sendable {
    public var email: any Transport
    public var webhook: any Transport

    public init(email: any Transport, webhook: any Transport) {
        self.email = email
        self.webhook = webhook
    }

    /// Builds the configured transports; fails on a bad URL or an unwritable folder.
    public init(configuration: Configuration) throws {
        Curl.globalInit()
        switch configuration.email {
        case .smtp(let settings): email = try SMTPTransport(settings)
        case .maildir(let directory): email = try MaildirTransport(directory: directory, channel: .email)
        }
        switch configuration.webhook {
        case .http(let settings): webhook = try WebhookTransport(settings)
        case .maildir(let directory): webhook = try MaildirTransport(directory: directory, channel: .webhook)
        }
    }

    public func transport(for channel: Channel) -> any Transport {
        switch channel {
        case .email: email
        case .webhook: webhook
        }
    }
}
