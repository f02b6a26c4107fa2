import Foundation
import RapportDelivery

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a delivery and returns its error, or `nil` when it succeeded.
func deliveryError(_ body: () throws(DeliveryError) -> DeliveryReceipt) -> DeliveryError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// The error a transport answers for one sample envelope, or nil when it delivered it.
func deliveryError(sending envelope: Envelope = Sample.envelope(), with transport: some Transport) -> DeliveryError? {
    deliveryError { () throws(DeliveryError) in try transport.deliver(envelope, at: Date()) }
}

/// A fresh temporary directory path (not created).
func temporaryPath(_ label: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("rapport-\(label)-\(UUID().uuidString)").path
}

/// A TCP port on 127.0.0.1 that nothing listens on: bound, read back and closed again.
func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw PeerProcess.Failure(description: "socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
        }
    }
    guard bound else { throw PeerProcess.Failure(description: "bind failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Reads a JSON object from a file, waiting at most `timeout` for the file to appear.
func readJSONObject(at path: String, timeout: Duration = .seconds(5)) throws -> [String: Any] {
    let deadline = ContinuousClock.now + timeout
    while !FileManager.default.fileExists(atPath: path) {
        guard ContinuousClock.now < deadline else {
            throw PeerProcess.Failure(description: "\(path) did not appear within \(timeout)")
        }
        usleep(20_000)
    }
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw PeerProcess.Failure(description: "\(path) is not a JSON object")
    }
    return object
}

/// Reads a JSON Lines file into objects.
func readJSONLines(at path: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw PeerProcess.Failure(description: "log line is not a JSON object: \(line)")
        }
        return object
    }
}

/// Sample data shared by the suites.
enum Sample {
    static let from = Mailbox(name: "Zoë Ångström", address: "zoe@example.com")
    static let to = Mailbox(name: "Björn Þórsson", address: "bjorn@example.org")
    static let subject = "Ihr Quartalsbericht — Zoë’s check-in für Björn ✓ (Q3, ÅÄÖ, 日本語の件名も大丈夫)"
    static let text = """
        Hallo Björn,

        \(String(repeating: "Grüße aus Zürich, wir möchten kurz nachfragen — wie läuft das Projekt? ", count: 8))
        .a line starting with a dot
        From the start of a line, trailing space\u{20}
        Zoë
        """
    static let html = """
        <!doctype html><html><body><p>Hallo Björn,</p>\
        <p>\(String(repeating: "Grüße aus Zürich — wie läuft das Projekt? ", count: 30))</p>\
        <p>Zoë</p></body></html>
        """

    static func envelope(id: String = "3f9a1c0b2d4e5f60", to: Mailbox = Sample.to, html: String? = Sample.html)
        -> Envelope
    {
        Envelope(
            messageID: id,
            from: from,
            to: to,
            replyTo: Mailbox(name: "Account team", address: "team@example.com"),
            subject: subject,
            text: text,
            html: html,
            extraHeaders: [(name: "List-Unsubscribe", value: "<https://example.com/unsubscribe/\(id)>")],
            webhookBody: Array(#"{"type":"check-in","id":"\#(id)","name":"Zoë"}"#.utf8)
        )
    }

    /// A fixed date: 2021-02-23 14:02:10 UTC, a Tuesday.
    static let date = Date(timeIntervalSince1970: 1_614_088_930)
}
