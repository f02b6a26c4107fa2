import Foundation
import RapportDelivery
import Testing

/// Webhook delivery through libcurl against `Tests/Peers/webhook_sink.py` on 127.0.0.1, verified by the
/// Python `standardwebhooks` package.
@Suite("Webhook transport (integration)", .timeLimit(.minutes(2)))
struct WebhookTransportTests {
    static let secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let secretB = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="

    final class Sink {
        let log = temporaryPath("webhook-sink") + ".jsonl"
        let peer: PeerProcess

        init(secrets: [String]) throws {
            peer = try PeerProcess(
                script: "webhook_sink.py", arguments: [log] + secrets.flatMap { ["--secret", $0] })
        }

        deinit {
            peer.stop()
            try? FileManager.default.removeItem(atPath: log)
        }

        func transport(path: String, secrets: [String]) throws -> WebhookTransport {
            try WebhookTransport(
                WebhookConfiguration(
                    url: "http://127.0.0.1:\(peer.port)\(path)", secrets: secrets.map { try WebhookSecret($0) },
                    timeout: .seconds(10)))
        }

        func requests() throws -> [[String: Any]] {
            try readJSONLines(at: log)
        }
    }

    @Test("/ok: 204, signature verified by standardwebhooks, headers as specified")
    func ok() throws {
        let sink = try Sink(secrets: [Self.secretA])
        let transport = try sink.transport(path: "/ok", secrets: [Self.secretA])
        #expect(transport.name == "webhook")
        let envelope = Sample.envelope()
        let date = Date()
        let receipt = try transport.deliver(envelope, at: date)
        #expect(receipt.detail == "HTTP 204")

        let requests = try sink.requests()
        try #require(requests.count == 1)
        let request = requests[0]
        #expect(request["verified"] as? Bool == true, "verify errors: \(request["verify_errors"] ?? "-")")
        #expect(request["method"] as? String == "POST")
        #expect(request["body"] as? String == String(decoding: envelope.webhookBody, as: UTF8.self))
        let headers = try #require(request["headers"] as? [String: String])
        #expect(headers["webhook-id"] == envelope.messageID)
        #expect(headers["webhook-timestamp"] == String(Int(date.timeIntervalSince1970)))
        #expect(headers["content-type"] == "application/json")
        #expect(headers["user-agent"] == "Rapport/0.1")
        #expect(headers["expect"] == nil)
        #expect(headers["webhook-signature"]?.hasPrefix("v1,") == true)
    }

    @Test("two secrets (rotation): each verifies on its own")
    func rotation() throws {
        let sink = try Sink(secrets: [Self.secretA, Self.secretB])
        let transport = try sink.transport(path: "/ok", secrets: [Self.secretA, Self.secretB])
        _ = try transport.deliver(Sample.envelope(), at: Date())
        let request = try #require(try sink.requests().first)
        #expect(request["verified_by"] as? [Bool] == [true, true], "\(request["verify_errors"] ?? "-")")
        let signature = (request["headers"] as? [String: String])?["webhook-signature"] ?? ""
        #expect(signature.split(separator: " ").count == 2)
    }

    @Test("a secret the sender does not have does not verify (the check can fail)")
    func wrongSecret() throws {
        let sink = try Sink(secrets: [Self.secretB])
        let transport = try sink.transport(path: "/ok", secrets: [Self.secretA])
        _ = try transport.deliver(Sample.envelope(), at: Date())
        let request = try #require(try sink.requests().first)
        #expect(request["verified"] as? Bool == false)
    }

    @Test("/gone: 410 is permanent")
    func gone() throws {
        let sink = try Sink(secrets: [Self.secretA])
        let transport = try sink.transport(path: "/gone", secrets: [Self.secretA])
        let error = try #require(
            deliveryError(with: transport))
        #expect(error.kind == .permanent)
        #expect(error.detail.contains("410"), "detail: \(error.detail)")
        #expect(error.detail.contains("endpoint removed"), "detail: \(error.detail)")
    }

    @Test("/gone: 410 says the endpoint is gone; other permanent answers do not")
    func goneMarksTheEndpoint() throws {
        let sink = try Sink(secrets: [Self.secretA])
        let goneTransport = try sink.transport(path: "/gone", secrets: [Self.secretA])
        let gone = try #require(
            deliveryError(with: goneTransport))
        #expect(gone.endpointGone)
        let missingTransport = try sink.transport(path: "/nowhere", secrets: [Self.secretA])
        let missing = try #require(
            deliveryError(with: missingTransport))
        #expect(missing.kind == .permanent && !missing.endpointGone, "404: \(missing)")
    }

    @Test("/unavailable: 503 is transient with Retry-After as an HTTP-date")
    func unavailableWithHTTPDate() throws {
        let sink = try Sink(secrets: [Self.secretA])
        let transport = try sink.transport(path: "/unavailable", secrets: [Self.secretA])
        let error = try #require(
            deliveryError(with: transport))
        #expect(error.kind == .transient)
        let seconds = error.retryAfter?.components.seconds ?? -1
        #expect(
            (28...31).contains(seconds), "Retry-After 30 s ahead read as \(error.retryAfter.map { "\($0)" } ?? "nil")")
    }

    @Test("/slow: an answer past the timeout is transient")
    func slowPastTheTimeout() throws {
        let sink = try Sink(secrets: [Self.secretA])
        let transport = try WebhookTransport(
            WebhookConfiguration(
                url: "http://127.0.0.1:\(sink.peer.port)/slow", secrets: [try WebhookSecret(Self.secretA)],
                timeout: .seconds(1)))
        let started = ContinuousClock.now
        let error = try #require(
            deliveryError(with: transport))
        #expect(error.kind == .transient, "\(error)")
        #expect(ContinuousClock.now - started < .seconds(3), "the timeout did not cut the wait")
    }

    @Test("/busy: 429 is transient with Retry-After 7 s")
    func busy() throws {
        let sink = try Sink(secrets: [Self.secretA])
        let transport = try sink.transport(path: "/busy", secrets: [Self.secretA])
        let error = try #require(
            deliveryError(with: transport))
        #expect(error.kind == .transient)
        #expect(error.retryAfter == .seconds(7))
        #expect(error.detail.contains("429"))
    }

    @Test("/redirect: 302 is permanent and not followed")
    func redirect() throws {
        let sink = try Sink(secrets: [Self.secretA])
        let transport = try sink.transport(path: "/redirect", secrets: [Self.secretA])
        let error = try #require(
            deliveryError(with: transport))
        #expect(error.kind == .permanent)
        #expect(error.detail.contains("redirect"), "detail: \(error.detail)")
        #expect(try sink.requests().map { $0["path"] as? String } == ["/redirect"])
    }

    @Test("/fail-once: 500 is transient, the retry on the same transport succeeds")
    func failOnce() throws {
        let sink = try Sink(secrets: [Self.secretA])
        let transport = try sink.transport(path: "/fail-once", secrets: [Self.secretA])
        let envelope = Sample.envelope()
        let error = try #require(
            deliveryError(sending: envelope, with: transport))
        #expect(error.kind == .transient)
        #expect(error.retryAfter == nil)
        let receipt = try transport.deliver(envelope, at: Date())
        #expect(receipt.detail == "HTTP 200")
        let requests = try sink.requests()
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0["verified"] as? Bool == true })
    }

    @Test("connection refused is transient")
    func connectionRefused() throws {
        let port = try closedPort()
        let transport = try WebhookTransport(
            WebhookConfiguration(
                url: "http://127.0.0.1:\(port)/ok", secrets: [try WebhookSecret(Self.secretA)], timeout: .seconds(5)))
        let error = try #require(
            deliveryError(with: transport))
        #expect(error.kind == .transient, "\(error)")
    }

    @Test("an empty body or a bad id is refused permanently before sending")
    func invalidEnvelope() throws {
        let port = try closedPort()
        let transport = try WebhookTransport(
            WebhookConfiguration(url: "http://127.0.0.1:\(port)/ok", secrets: [try WebhookSecret(Self.secretA)]))
        var envelope = Sample.envelope()
        envelope.webhookBody = []
        #expect(
            deliveryError(sending: envelope, with: transport)?.kind
                == .permanent)
        envelope = Sample.envelope(id: "bad id\r\nX: y")
        #expect(
            deliveryError(sending: envelope, with: transport)?.kind
                == .permanent)
    }

    @Test("bad configurations are refused")
    func badConfiguration() throws {
        #expect(throws: DeliveryConfigurationError.self) {
            try WebhookTransport(WebhookConfiguration(url: "ftp://x/", secrets: [try WebhookSecret(Self.secretA)]))
        }
        #expect(throws: DeliveryConfigurationError.self) {
            try WebhookTransport(WebhookConfiguration(url: "http://127.0.0.1/", secrets: []))
        }
    }
}
