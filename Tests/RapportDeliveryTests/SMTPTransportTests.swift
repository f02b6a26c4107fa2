import Foundation
import RapportDelivery
import Testing

/// SMTP delivery through libcurl against `Tests/Peers/smtp_sink.py` on 127.0.0.1.
@Suite("SMTP transport (integration)", .timeLimit(.minutes(2)))
struct SMTPTransportTests {
    /// A sink writing one JSON file per accepted message into `directory`.
    final class Sink {
        let directory = temporaryPath("smtp-sink")
        let peer: PeerProcess

        init(_ options: [String] = []) throws {
            peer = try PeerProcess(script: "smtp_sink.py", arguments: [directory] + options)
        }

        deinit {
            peer.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func transport() throws -> SMTPTransport {
            try SMTPTransport(
                SMTPConfiguration(url: "smtp://127.0.0.1:\(peer.port)", startTLS: .off, timeout: .seconds(10)))
        }

        func message(_ number: Int) throws -> [String: Any] {
            try readJSONObject(at: directory + "/" + String(format: "%04d.json", number))
        }
    }

    @Test("text + HTML with non-ASCII name and subject arrives intact and parses without defects")
    func delivery() throws {
        let sink = try Sink()
        let transport = try sink.transport()
        #expect(transport.name == "smtp")
        let receipt = try transport.deliver(Sample.envelope(), at: Date())
        #expect(receipt.detail.hasPrefix("250"), "receipt: \(receipt.detail)")

        let message = try sink.message(1)
        let defects = try #require(message["defects"] as? [String])
        #expect(defects.isEmpty, "Python's email parser found defects: \(defects)")
        let headers = try #require(message["headers"] as? [String: String])
        #expect(headers["Message-ID"] == "<3f9a1c0b2d4e5f60@example.com>")
        #expect(headers["Subject"] == Sample.subject)
        #expect(headers["From"] == "Zoë Ångström <zoe@example.com>")
        #expect(headers["To"] == "Björn Þórsson <bjorn@example.org>")
        #expect(headers["Reply-To"] == "Account team <team@example.com>")
        #expect(headers["List-Unsubscribe"] == "<https://example.com/unsubscribe/3f9a1c0b2d4e5f60>")
        #expect(message["content_type"] as? String == "multipart/alternative")
        // The decoded parts keep the message's CRLF line breaks; the sample uses LF.
        #expect(Self.lf(message["text"]) == Sample.text)
        #expect(Self.lf(message["html"]) == Sample.html)
        #expect(message["mail_from"] as? String == "zoe@example.com")
        #expect(message["rcpt_tos"] as? [String] == ["bjorn@example.org"])
        #expect(message["bare_lf"] as? Bool == false)
        #expect(message["bare_cr"] as? Bool == false)
        #expect((message["max_line_length"] as? Int ?? .max) <= 998)
    }

    static func lf(_ value: Any?) -> String? {
        (value as? String)?.replacingOccurrences(of: "\r\n", with: "\n")
    }

    @Test("two deliveries on one transport succeed over one reused connection")
    func connectionReuse() throws {
        let sink = try Sink()
        let transport = try sink.transport()
        _ = try transport.deliver(Sample.envelope(id: "first-0001"), at: Date())
        _ = try transport.deliver(Sample.envelope(id: "second-0002", html: nil), at: Date())
        let first = try sink.message(1)
        let second = try sink.message(2)
        #expect((first["headers"] as? [String: String])?["Message-ID"] == "<first-0001@example.com>")
        #expect((second["headers"] as? [String: String])?["Message-ID"] == "<second-0002@example.com>")
        #expect(second["content_type"] as? String == "text/plain")
        #expect((second["defects"] as? [String])?.isEmpty == true)
        let firstPort = try #require(first["peer_port"] as? Int)
        #expect(second["peer_port"] as? Int == firstPort, "the second message came over a new connection")
    }

    @Test("550 at RCPT is permanent and says so")
    func rejectedRecipient() throws {
        let sink = try Sink(["--reject-rcpt", "nobody@example.org"])
        let transport = try sink.transport()
        let envelope = Sample.envelope(to: Mailbox(name: nil, address: "nobody@example.org"))
        let error = try #require(
            deliveryError { () throws(DeliveryError) in try transport.deliver(envelope, at: Date()) })
        #expect(error.kind == .permanent)
        #expect(error.detail.contains("550"), "detail: \(error.detail)")
        #expect(error.detail.contains("RCPT"), "detail: \(error.detail)")
        // The same transport still delivers to a good recipient afterwards.
        _ = try transport.deliver(Sample.envelope(), at: Date())
        #expect((try sink.message(1)["rcpt_tos"] as? [String]) == ["bjorn@example.org"])
    }

    @Test("451 after DATA is transient; the retry succeeds")
    func temporaryFailure() throws {
        let sink = try Sink(["--fail-first-data"])
        let transport = try sink.transport()
        let error = try #require(
            deliveryError { () throws(DeliveryError) in try transport.deliver(Sample.envelope(), at: Date()) })
        #expect(error.kind == .transient)
        #expect(error.detail.contains("451"), "detail: \(error.detail)")
        #expect(error.detail.contains("DATA"), "detail: \(error.detail)")
        let receipt = try transport.deliver(Sample.envelope(), at: Date())
        #expect(receipt.detail.hasPrefix("250"))
        #expect((try sink.message(1)["defects"] as? [String])?.isEmpty == true)
    }

    @Test("connection refused is transient")
    func connectionRefused() throws {
        let port = try closedPort()
        let transport = try SMTPTransport(
            SMTPConfiguration(url: "smtp://127.0.0.1:\(port)", startTLS: .off, timeout: .seconds(5)))
        let error = try #require(
            deliveryError { () throws(DeliveryError) in try transport.deliver(Sample.envelope(), at: Date()) })
        #expect(error.kind == .transient, "\(error)")
    }

    @Test("an injected header is refused before any connection (permanent, not connection refused)")
    func injectionRefusedFirst() throws {
        let port = try closedPort()
        let transport = try SMTPTransport(
            SMTPConfiguration(url: "smtp://127.0.0.1:\(port)", startTLS: .off, timeout: .seconds(5)))
        var envelope = Sample.envelope()
        envelope.subject = "Hi\r\nBcc: victim@example.net"
        let error = try #require(
            deliveryError { () throws(DeliveryError) in try transport.deliver(envelope, at: Date()) })
        #expect(error.kind == .permanent)
        #expect(error.detail.contains("CR or LF"))
    }

    @Test("non-SMTP URLs are refused at construction", arguments: ["http://127.0.0.1:25", "127.0.0.1:25", "file:///x"])
    func badURL(_ url: String) {
        #expect(throws: DeliveryConfigurationError.self) { try SMTPTransport(SMTPConfiguration(url: url)) }
    }
}
