import RapportDelivery
import Testing

@Suite("Standard Webhooks signing")
struct WebhookSignerTests {
    static let secretText = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp = 1_614_265_330
    static let body = Array(#"{"test": 2432232314}"#.utf8)

    @Test("the published test vector")
    func vector() throws {
        let secret = try WebhookSecret(Self.secretText)
        let signature = WebhookSigner.signature(
            id: Self.id, timestamp: Self.timestamp, body: Self.body, secrets: [secret])
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("several secrets give space-separated signatures, one per secret, in order")
    func rotation() throws {
        let first = try WebhookSecret(Self.secretText)
        let second = try WebhookSecret("whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=")
        let both = WebhookSigner.signature(
            id: Self.id, timestamp: Self.timestamp, body: Self.body, secrets: [first, second])
        let parts = both.split(separator: " ").map(String.init)
        #expect(parts.count == 2)
        #expect(parts[0] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(parts[1].hasPrefix("v1,") && parts[1] != parts[0])
    }

    @Test("headers carry id, timestamp and signature")
    func headers() throws {
        let secret = try WebhookSecret(Self.secretText)
        let headers = WebhookSigner.headers(id: Self.id, timestamp: Self.timestamp, body: Self.body, secrets: [secret])
        #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers.map(\.value) == [Self.id, "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="])
    }

    @Test("changing any signed part changes the signature")
    func sensitivity() throws {
        let secret = try WebhookSecret(Self.secretText)
        let reference = WebhookSigner.signature(
            id: Self.id, timestamp: Self.timestamp, body: Self.body, secrets: [secret])
        #expect(
            WebhookSigner.signature(id: "x", timestamp: Self.timestamp, body: Self.body, secrets: [secret]) != reference
        )
        #expect(WebhookSigner.signature(id: Self.id, timestamp: 1, body: Self.body, secrets: [secret]) != reference)
        #expect(
            WebhookSigner.signature(id: Self.id, timestamp: Self.timestamp, body: [], secrets: [secret]) != reference)
    }

    @Test(
        "bad secrets are refused", arguments: ["", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!notbase64!!"])
    func badSecret(_ text: String) {
        #expect(throws: DeliveryConfigurationError.self) { try WebhookSecret(text) }
    }
}
