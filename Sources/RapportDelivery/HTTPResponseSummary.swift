import Foundation

/// The parts of an HTTP answer that decide a webhook's fate.
struct HTTPResponseSummary {
    var status: Int
    var headerLines: [String]
    var body: [UInt8]

    /// A receipt for 2xx, otherwise the classified error: 3xx (not followed) and 4xx are
    /// permanent, except 408 and 429; 410 also says the endpoint is gone; 5xx are transient;
    /// 429, 502, 503 and 504 carry the server's `Retry-After`.
    func receipt(latency: Duration, now: Date = Date()) throws(DeliveryError) -> DeliveryReceipt {
        switch status {
        case 200...299:
            return DeliveryReceipt(detail: "HTTP \(status)", latency: latency)
        case 300...399:
            let location = header("location").map { " to \($0)" } ?? ""
            throw DeliveryError(kind: .permanent, detail: "HTTP \(status): redirect\(location) not followed")
        case 410:
            throw DeliveryError(kind: .permanent, detail: detail, endpointGone: true)
        case 429, 502, 503, 504:
            throw DeliveryError(kind: .transient, detail: detail, retryAfter: retryAfter(now: now))
        case 408, 500...599:
            throw DeliveryError(kind: .transient, detail: detail)
        case 400...499:
            throw DeliveryError(kind: .permanent, detail: detail)
        default:
            throw DeliveryError(kind: .transient, detail: detail)
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

    /// `Retry-After` as delay-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2026 07:28:00 GMT`,
    /// RFC 9110 §10.2.3), as a delay from `now`; a date in the past means no delay.
    func retryAfter(now: Date) -> Duration? {
        guard let value = header("retry-after") else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(seconds) }
        guard let date = Self.httpDate(value) else { return nil }
        return .seconds(max(0, Int(date.timeIntervalSince(now).rounded(.up))))
    }

    /// Parses the IMF-fixdate form of an HTTP-date, the only one senders may generate.
    static func httpDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT", let day = Int(parts[1]),
            let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        var components = DateComponents(
            timeZone: TimeZone(identifier: "GMT"), year: year, month: month + 1, day: day, hour: clock[0],
            minute: clock[1], second: clock[2])
        components.calendar = Calendar(identifier: .gregorian)
        guard components.isValidDate else { return nil }
        return components.date
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
