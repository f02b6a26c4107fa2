/// The parts of an HTTP answer that decide a webhook's fate.
struct HTTPResponseSummary {
    var status: Int
    var headerLines: [String]
    var body: [UInt8]

    /// A receipt for 2xx, otherwise the classified error.
    func receipt(latency: Duration) throws(DeliveryError) -> DeliveryReceipt {
        switch status {
        case 200...299:
            return DeliveryReceipt(detail: "HTTP \(status)", latency: latency)
        case 300...399:
            let location = header("location").map { " to \($0)" } ?? ""
            throw DeliveryError(kind: .permanent, detail: "HTTP \(status): redirect\(location) not followed")
        case 408, 429, 500...599:
            throw DeliveryError(kind: .transient, detail: detail, retryAfter: retryAfter)
        case 400...499:
            throw DeliveryError(kind: .permanent, detail: detail)
        default:
            throw DeliveryError(kind: .transient, detail: detail, retryAfter: retryAfter)
        }
    }

    /// `HTTP 503: <start of the body on one line>`.
    var detail: String {
        var text = String(decoding: body, as: UTF8.self)
            .split(whereSeparator: { $0.isWhitespace || $0.isNewline })
            .joined(separator: " ")
        if text.count > 200 {
            text = String(text.prefix(200)) + "…"
        }
        return text.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(text)"
    }

    /// `Retry-After` in its delay-seconds form.
    var retryAfter: Duration? {
        guard let value = header("retry-after"), let seconds = Int(value), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }

    /// The value of the last header with this (lower-case) name.
    func header(_ name: String) -> String? {
        for line in headerLines.reversed() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name {
                return MailboxSyntax.trimmed(String(line[line.index(after: colon)...]))
            }
        }
        return nil
    }
}
