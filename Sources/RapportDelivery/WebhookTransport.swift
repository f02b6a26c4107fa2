import CCurl
import CCurlShims
import Foundation

/// Posts ``Envelope/webhookBody`` as JSON, signed per Standard Webhooks, through libcurl.
///
/// One instance owns one curl easy handle and reuses it (keep-alive connections are reused).
/// Thread safety: all use of the handle happens under `lock`, so concurrent calls are serialised; for parallel
/// sending use one transport per worker thread. That is why the class can be `@unchecked Sendable`.
public final class WebhookTransport: Transport, @unchecked Sendable {
    public var name: String { "webhook" }

    /// The `user-agent` header sent with every request.
    public static let userAgent = "Rapport/0.1"

    private let configuration: WebhookConfiguration
    private let easy: CurlEasy
    private let lock = NSLock()

    /// Creates a transport and its curl handle.
    ///
    /// - Throws: ``DeliveryConfigurationError`` for a URL that is not `http://` or `https://`, no secrets, or when
    ///   libcurl refuses an option.
    public init(_ configuration: WebhookConfiguration) throws(DeliveryConfigurationError) {
        let scheme = configuration.url.prefix(while: { $0 != ":" }).lowercased()
        guard scheme == "http" || scheme == "https", configuration.url.contains("://") else {
            throw DeliveryConfigurationError(
                "webhook URL must start with http:// or https://, not \(configuration.url)")
        }
        if let problem = HeaderSyntax.valueProblem(configuration.url) {
            throw DeliveryConfigurationError("webhook URL \(problem)")
        }
        guard !configuration.secrets.isEmpty else {
            throw DeliveryConfigurationError("webhook transport needs at least one signing secret")
        }
        self.configuration = configuration
        easy = try CurlEasy()
        try easy.set(CURLOPT_URL, configuration.url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)
        try easy.set(CURLOPT_POST, 1)
        try easy.set(CURLOPT_USERAGENT, Self.userAgent)
        if let caFile = configuration.caFile { try easy.set(CURLOPT_CAINFO, caFile) }
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds: configuration.timeout)
        try easy.set(CURLOPT_TIMEOUT_MS, milliseconds: configuration.timeout)
    }

    /// Posts the body with `webhook-id` = `envelope.messageID` and `webhook-timestamp` = `date` in Unix seconds.
    ///
    /// - Throws: A permanent ``DeliveryError`` for an invalid message id or an empty body, for 3xx (redirects are not followed), 410 and other 4xx; a transient
    ///   one for 408, 429, 5xx, timeouts and connection failures, with ``DeliveryError/retryAfter`` from
    ///   `Retry-After` (seconds form) where given.
    public func deliver(_ envelope: Envelope, at date: Date) throws(DeliveryError) -> DeliveryReceipt {
        try Envelope.validateMessageID(envelope.messageID)
        let timestamp = Int(date.timeIntervalSince1970.rounded(.down))
        let body = envelope.webhookBody
        guard !body.isEmpty else { throw .invalid("webhook body is empty") }
        var headers = ["content-type: application/json", "Expect:"]
        for header in WebhookSigner.headers(
            id: envelope.messageID, timestamp: timestamp, body: body, secrets: configuration.secrets)
        {
            headers.append("\(header.name): \(header.value)")
        }
        lock.lock()
        defer { lock.unlock() }
        let start = ContinuousClock.now
        do throws(DeliveryConfigurationError) {
            easy.freeLists()
            try easy.set(CURLOPT_HTTPHEADER, list: headers)
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
            let copied = (body.isEmpty ? [0] : body).withUnsafeBytes { bytes in
                rapport_curl_setopt_pointer(
                    easy.handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            }
            guard copied == CURLE_OK else {
                throw DeliveryConfigurationError("curl refused the request body")
            }
        } catch {
            throw DeliveryError(kind: .permanent, detail: error.description)
        }
        easy.state.reset()
        let (code, curlMessage) = easy.perform()
        let latency = ContinuousClock.now - start
        let status = easy.responseCode
        let response = HTTPResponseSummary(status: status, headerLines: easy.state.headerLines, body: easy.state.body)
        easy.state.reset()
        guard code == CURLE_OK else {
            let permanent = [CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_NOT_BUILT_IN].contains(code)
            throw DeliveryError(kind: permanent ? .permanent : .transient, detail: curlMessage)
        }
        return try response.receipt(latency: latency)
    }
}
