import CCurl
import CCurlShims
import Foundation

/// Delivers email over SMTP (STARTTLS or SMTPS, optional AUTH) through libcurl.
///
/// One instance owns one curl easy handle and reuses it, so consecutive deliveries share a connection.
/// Thread safety: all use of the handle happens under `lock`, so concurrent calls are serialised (never run in
/// parallel on the handle); for parallel sending use one transport per worker thread. That is why the class can be
/// `@unchecked Sendable`.
public final class SMTPTransport: Transport, @unchecked Sendable {
    public var name: String { "smtp" }

    private let configuration: SMTPConfiguration
    private let easy: CurlEasy
    private let lock = NSLock()

    /// Creates a transport and its curl handle.
    ///
    /// - Throws: ``DeliveryConfigurationError`` for a URL that is not `smtp://` or `smtps://`, or when libcurl
    ///   refuses an option.
    public init(_ configuration: SMTPConfiguration) throws(DeliveryConfigurationError) {
        let scheme = configuration.url.prefix(while: { $0 != ":" }).lowercased()
        guard scheme == "smtp" || scheme == "smtps", configuration.url.contains("://") else {
            throw DeliveryConfigurationError("SMTP URL must start with smtp:// or smtps://, not \(configuration.url)")
        }
        if let problem = [configuration.url, configuration.username ?? "", configuration.password ?? ""]
            .compactMap(HeaderSyntax.valueProblem).first
        {
            throw DeliveryConfigurationError("SMTP URL or credentials \(problem)")
        }
        self.configuration = configuration
        easy = try CurlEasy()
        try configure()
    }

    private func configure() throws(DeliveryConfigurationError) {
        let configuration = self.configuration
        try easy.set(CURLOPT_URL, configuration.url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        try easy.set(CURLOPT_UPLOAD, 1)
        let useSSL: curl_usessl
        switch configuration.startTLS {
        case .required: useSSL = CURLUSESSL_ALL
        case .opportunistic: useSSL = CURLUSESSL_TRY
        case .off: useSSL = CURLUSESSL_NONE
        }
        try easy.set(CURLOPT_USE_SSL, Int(useSSL.rawValue))
        if let username = configuration.username { try easy.set(CURLOPT_USERNAME, username) }
        if let password = configuration.password { try easy.set(CURLOPT_PASSWORD, password) }
        if let caFile = configuration.caFile { try easy.set(CURLOPT_CAINFO, caFile) }
        try easy.set(CURLOPT_SSL_VERIFYPEER, configuration.verifyPeer ? 1 : 0)
        try easy.set(CURLOPT_SSL_VERIFYHOST, configuration.verifyPeer ? 2 : 0)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds: configuration.timeout)
        try easy.set(CURLOPT_TIMEOUT_MS, milliseconds: configuration.timeout)
        // The debug callback sees the SMTP dialogue, so errors can name the server's line and the stage.
        rapport_curl_setopt_debug_callback(easy.handle, CurlCallbacks.debug)
        rapport_curl_setopt_pointer(easy.handle, CURLOPT_DEBUGDATA, Unmanaged.passUnretained(easy.state).toOpaque())
        try easy.set(CURLOPT_VERBOSE, 1)
    }

    /// Sends the message to `envelope.to`, with `envelope.from` as the envelope sender.
    ///
    /// - Throws: A permanent ``DeliveryError`` for an invalid envelope, a login refused or a 5xx answer; a transient
    ///   one for 4xx answers, timeouts and connection failures.
    public func deliver(_ envelope: Envelope, at date: Date) throws(DeliveryError) -> DeliveryReceipt {
        let message = try MIMEMessage.renderValidated(envelope, date: date)
        lock.lock()
        defer { lock.unlock() }
        let start = ContinuousClock.now
        do throws(DeliveryConfigurationError) {
            easy.freeLists()
            try easy.set(CURLOPT_MAIL_FROM, "<\(envelope.from.address)>")
            try easy.set(CURLOPT_MAIL_RCPT, list: ["<\(envelope.to.address)>"])
            try easy.set(CURLOPT_INFILESIZE_LARGE, offset: Int64(message.count))
        } catch {
            throw DeliveryError(kind: .permanent, detail: error.description)
        }
        easy.state.reset(upload: message)
        let (code, curlMessage) = easy.perform()
        let latency = ContinuousClock.now - start
        let state = easy.state
        var response = easy.responseCode
        if response < 400, let failure = state.failureLine, let failureCode = Int(failure.prefix(3)) {
            response = failureCode
        }
        let lastLine = state.lastServerLine
        let serverLine = state.failureLine ?? lastLine
        let stage = state.failureLine == nil ? state.lastCommand : state.failureStage
        state.reset()
        if code == CURLE_OK {
            return DeliveryReceipt(detail: lastLine ?? "\(response) OK", latency: latency)
        }
        throw SMTPTransport.classify(
            code: code, curlMessage: curlMessage, response: response, serverLine: serverLine, stage: stage)
    }

    /// Turns a failed transfer into a classified error.
    static func classify(
        code: CURLcode, curlMessage: String, response: Int, serverLine: String?, stage: String?
    ) -> DeliveryError {
        var detail: String
        if response >= 400, let serverLine, serverLine.hasPrefix(String(response)) {
            detail = serverLine
        } else if response >= 400 {
            detail = "\(response) \(curlMessage)"
        } else {
            detail = curlMessage
        }
        if let stage, response >= 400 || code == CURLE_LOGIN_DENIED {
            detail += " (\(stage))"
        }
        let permanentCodes: Set<CURLcode> = [
            CURLE_LOGIN_DENIED, CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_NOT_BUILT_IN,
        ]
        if permanentCodes.contains(code) || (500...599).contains(response) {
            // Mailbox unavailable, not local, name not allowed: the address itself is refused.
            // Other 5xx (a policy refusal at MAIL, a rejected DATA) say nothing about it.
            let refused = stage == "RCPT" && [550, 551, 553].contains(response)
            return DeliveryError(kind: .permanent, detail: detail, recipientRefused: refused)
        }
        return DeliveryError(kind: .transient, detail: detail)
    }
}
