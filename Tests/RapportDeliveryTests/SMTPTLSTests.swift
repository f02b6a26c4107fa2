import Foundation
import RapportDelivery
import RapportTestSupport
import Testing

/// STARTTLS, certificate verification and AUTH against `smtp_sink.py --tls --auth` (aiosmtpd) on
/// 127.0.0.1, with a self-signed certificate made by the test and trusted through `caFile`.
@Suite("SMTP over STARTTLS with AUTH (integration)", .timeLimit(.minutes(2)))
struct SMTPTLSTests {
    let certificate: TestCertificate
    let sinkDirectory = temporaryPath("smtp-tls-sink")
    let sink: PeerProcess

    init() throws {
        certificate = try TestCertificate()
        sink = try PeerProcess(
            script: "smtp_sink.py",
            arguments: [sinkDirectory, "--tls", certificate.certificate, certificate.key, "--auth", "ann:s3cret pass"])
    }

    func transport(
        startTLS: StartTLS = .required, password: String = "s3cret pass", trusted: Bool = true, verify: Bool = true,
        host: String = "127.0.0.1"
    ) throws -> SMTPTransport {
        try SMTPTransport(
            SMTPConfiguration(
                url: "smtp://\(host):\(sink.port)", startTLS: startTLS, username: "ann", password: password,
                caFile: trusted ? certificate.certificate : nil, verifyPeer: verify, timeout: .seconds(10)))
    }

    func received(_ number: Int) throws -> [String: Any] {
        try readJSONObject(at: sinkDirectory + "/" + String(format: "%04d.json", number))
    }

    @Test("STARTTLS with the CA option and AUTH: delivered over TLS, logged in, no defects")
    func startTLSAndAuth() throws {
        for host in ["127.0.0.1", "localhost"] {
            let receipt = try transport(host: host).deliver(Sample.envelope(), at: Date())
            #expect(receipt.detail.hasPrefix("250"), "\(host): \(receipt.detail)")
        }
        for number in 1...2 {
            let message = try received(number)
            #expect(message["tls"] as? Bool == true)
            #expect(message["login"] as? String == "ann")
            #expect((message["defects"] as? [String])?.isEmpty == true, "\(message["defects"] ?? "-")")
        }
    }

    @Test("a certificate nobody vouches for is refused unless verification is explicitly off")
    func untrustedCertificate() throws {
        let error = try #require(deliveryError(with: try transport(trusted: false)))
        #expect(error.detail.lowercased().contains("certificate"), "\(error.detail)")
        #expect(!FileManager.default.fileExists(atPath: sinkDirectory + "/0001.json"))
        // verify_peer = false (logged as a warning by the daemon at every start) lets it through.
        let receipt = try transport(trusted: false, verify: false).deliver(Sample.envelope(), at: Date())
        #expect(receipt.detail.hasPrefix("250"))
        #expect(try received(1)["tls"] as? Bool == true)
    }

    @Test("a wrong password is a permanent failure naming the login")
    func wrongPassword() throws {
        let error = try #require(deliveryError(with: try transport(password: "guess")))
        #expect(error.kind == .permanent, "\(error)")
        #expect(error.detail.lowercased().contains("login") || error.detail.contains("535"), "\(error.detail)")
    }

    @Test("starttls = off against a server that insists on TLS: nothing is sent in clear")
    func clearTextIsRefused() throws {
        let error = try #require(deliveryError(with: try transport(startTLS: .off)))
        #expect(error.detail.contains("530") || error.detail.lowercased().contains("tls"), "\(error.detail)")
        #expect(!FileManager.default.fileExists(atPath: sinkDirectory + "/0001.json"))
    }

    @Test("smtps:// (TLS from the first byte) with AUTH, trusted through the CA option")
    func implicitTLS() throws {
        let directory = temporaryPath("smtps-sink")
        let smtps = try PeerProcess(
            script: "smtp_sink.py",
            arguments: [
                directory, "--tls", certificate.certificate, certificate.key, "--implicit-tls", "--auth", "ann:pw",
            ])
        let transport = try SMTPTransport(
            SMTPConfiguration(
                url: "smtps://localhost:\(smtps.port)", username: "ann", password: "pw",
                caFile: certificate.certificate,
                timeout: .seconds(10)))
        #expect(try transport.deliver(Sample.envelope(), at: Date()).detail.hasPrefix("250"))
        let message = try readJSONObject(at: directory + "/0001.json")
        #expect(message["tls"] as? Bool == true)
        #expect(message["login"] as? String == "ann")
        // Without the CA the same server is refused.
        let untrusted = try SMTPTransport(
            SMTPConfiguration(url: "smtps://localhost:\(smtps.port)", username: "ann", password: "pw"))
        #expect(deliveryError(with: untrusted) != nil)
    }

    @Test("starttls = required against a server without STARTTLS fails before MAIL")
    func requiredButNotOffered() throws {
        let plain = try PeerProcess(script: "smtp_sink.py", arguments: [temporaryPath("smtp-plain")])
        let transport = try SMTPTransport(
            SMTPConfiguration(url: "smtp://127.0.0.1:\(plain.port)", startTLS: .required, timeout: .seconds(10)))
        let error = try #require(deliveryError(with: transport))
        #expect(error.kind == .transient, "\(error)")
        #expect(error.detail.uppercased().contains("STARTTLS") || error.detail.contains("SSL"), "\(error.detail)")
        // Opportunistic falls back to clear text when the server offers nothing better.
        let opportunistic = try SMTPTransport(
            SMTPConfiguration(url: "smtp://127.0.0.1:\(plain.port)", startTLS: .opportunistic, timeout: .seconds(10)))
        #expect(try opportunistic.deliver(Sample.envelope(), at: Date()).detail.hasPrefix("250"))
    }
}
