import Foundation

/// A self-signed certificate (for `localhost` and 127.0.0.1 unless told otherwise), made with the `openssl` command in
/// a temporary folder (removed with the object): for the TLS tests' servers, which the client
/// then trusts through its CA file.
public final class TestCertificate: Sendable {
    public let directory: String
    /// The certificate, PEM; also the CA file that trusts it.
    public var certificate: String { directory + "/cert.pem" }
    /// Its private key, PEM, unencrypted.
    public var key: String { directory + "/key.pem" }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `names`: the certificate's subject alternative names, as `openssl` spells them.
    public init(names: String = "DNS:localhost,IP:127.0.0.1") throws {
        directory = NSTemporaryDirectory() + "rapport-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let openssl = ["/usr/bin/openssl", "/bin/openssl"].first(where: FileManager.default.isExecutableFile)
        else { throw Failure(description: "openssl not found (install the openssl package)") }
        do {
            // Bounded (120 s) and reaped with waitpid, as the PostgreSQL tools are.
            try TestPostgres.run(
                [
                    openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=" + names, "-keyout", directory + "/key.pem", "-out",
                    directory + "/cert.pem",
                ], log: directory + "/openssl.log")
        } catch {
            throw Failure(description: "\(error)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}
