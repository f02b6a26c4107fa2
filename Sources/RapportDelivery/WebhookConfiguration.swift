/// Where and how to post signed webhooks.
public struct WebhookConfiguration: Sendable {
    /// The `http://` or `https://` endpoint.
    public var url: String
    /// The signing secrets; during a rotation give both, and every one signs each request.
    public var secrets: [WebhookSecret]
    /// The limit for connecting and for the whole request.
    public var timeout: Duration
    /// A PEM file of CA certificates to trust instead of the system's.
    public var caFile: String?

    /// Creates a webhook configuration.
    public init(url: String, secrets: [WebhookSecret], timeout: Duration = .seconds(15), caFile: String? = nil) {
        self.url = url
        self.secrets = secrets
        self.timeout = timeout
        self.caFile = caFile
    }
}
