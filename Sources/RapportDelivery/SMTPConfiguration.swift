/// How to reach an SMTP server.
public struct SMTPConfiguration: Sendable {
    /// Whether to upgrade a plain `smtp://` connection with STARTTLS.
    public enum StartTLS: String, Sendable, Hashable, CaseIterable {
        /// Fail unless STARTTLS succeeds (`CURLUSESSL_ALL`).
        case required
        /// Use STARTTLS when offered, otherwise send in clear (`CURLUSESSL_TRY`).
        case opportunistic
        /// Never use STARTTLS (`CURLUSESSL_NONE`); `smtps://` still uses implicit TLS.
        case off
    }

    /// `smtp://host:port` or `smtps://host:port`.
    public var url: String
    /// STARTTLS policy for `smtp://` URLs.
    public var startTLS: StartTLS
    /// The AUTH user name, if the server needs one.
    public var username: String?
    /// The AUTH password.
    public var password: String?
    /// A PEM file of CA certificates to trust instead of the system's.
    public var caFile: String?
    /// Whether to verify the server's certificate and host name. Only turn off for local testing.
    public var verifyPeer: Bool
    /// The limit for connecting and for the whole delivery.
    public var timeout: Duration

    /// Creates an SMTP configuration.
    public init(
        url: String,
        startTLS: StartTLS = .required,
        username: String? = nil,
        password: String? = nil,
        caFile: String? = nil,
        verifyPeer: Bool = true,
        timeout: Duration = .seconds(30)
    ) {
        self.url = url
        self.startTLS = startTLS
        self.username = username
        self.password = password
        self.caFile = caFile
        self.verifyPeer = verifyPeer
        self.timeout = timeout
    }
}

/// The STARTTLS policy, also reachable as a top-level name.
public typealias StartTLS = SMTPConfiguration.StartTLS
