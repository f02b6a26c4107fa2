import Foundation
import RapportCore
import RapportStore
import RapportTestSupport
import Testing

/// A PostgreSQL store over TLS and with a password, against a server of the test's own that
/// offers TLS with a certificate the test made and asks TCP clients for a password (SCRAM).
@Suite(.enabled(if: TestPostgres.isAvailable)) struct PostgresSecurityTests {
    let certificate: TestCertificate
    let server: PostgresServer
    let database: String

    init() throws {
        certificate = try TestCertificate()
        server = try PostgresServer.launch(certificate: certificate, password: "s3cret-pass")
        database = try TestPostgres.createDatabase(on: server.adminURL)
    }

    /// `verify-full` with the certificate's CA: the connection is encrypted (the server's own
    /// view, `pg_stat_ssl`) and the store works.
    @Test func verifiedTLSWithAPassword() throws {
        let url = database.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        let store = try Outbox(postgresURL: url + "?sslmode=verify-full&sslrootcert=\(certificate.certificate)")
        try Sample.insert([Sample.planned("c-1")], into: store)
        #expect(try store.countsByState()[.scheduled] == 1)
        #expect(try encryptedConnections() >= 1)
    }

    /// `verify-full` to an IP address: no SNI is sent, and NIOSSL checks the address against
    /// the certificate's IP entries (this one names 127.0.0.1).
    @Test func verifiedTLSToAnAddress() throws {
        let store = try Outbox(postgresURL: database + "?sslmode=verify-full&sslrootcert=\(certificate.certificate)")
        _ = try store.countsByState()
        #expect(try encryptedConnections() >= 1)
    }

    /// `verify-full` to an address the certificate does not name is refused, even though a
    /// trusted CA signed it.
    @Test func verifiedTLSRefusesAnAddressTheCertificateDoesNotName() throws {
        let named = try TestCertificate(names: "DNS:localhost")
        let other = try PostgresServer.launch(certificate: named, password: "s3cret-pass")
        defer { try? other.stop() }
        let url = try TestPostgres.createDatabase(on: other.adminURL)
        #expect(
            try Outbox(postgresURL: url + "?sslmode=verify-ca&sslrootcert=\(named.certificate)").countsByState() == [:])
        var failure: StoreError?
        let started = ContinuousClock.now
        do {
            _ = try Outbox(postgresURL: url + "?sslmode=verify-full&sslrootcert=\(named.certificate)")
        } catch {
            failure = error
        }
        #expect(failure?.description.contains("TLS handshake failed") == true, "\(String(describing: failure))")
        #expect(ContinuousClock.now - started < .seconds(5), "a refusal is not worth waiting for")
    }

    /// `require` encrypts without checking the certificate; `disable` does not encrypt.
    @Test func requireEncryptsAndDisableDoesNot() throws {
        let encrypted = try Outbox(postgresURL: database + "?sslmode=require")
        _ = try encrypted.countsByState()
        #expect(try encryptedConnections() >= 1)
        let plain = try Outbox(postgresURL: database + "?sslmode=disable")
        _ = try plain.countsByState()
        #expect(try plainConnections() >= 1)
    }

    /// Refusals are reported at once (not after the 10 s the store waits for a server that is
    /// away), in one line that says what was refused.
    @Test func refusalsFailFastAndSayWhy() throws {
        func openingFails(_ url: String) -> (StoreError?, Duration) {
            let started = ContinuousClock.now
            do {
                _ = try Outbox(postgresURL: url)
                return (nil, ContinuousClock.now - started)
            } catch {
                return (error, ContinuousClock.now - started)
            }
        }
        let wrongPassword = database.replacingOccurrences(of: "s3cret-pass", with: "wrong")
        let untrusted = database.replacingOccurrences(of: "127.0.0.1", with: "localhost") + "?sslmode=verify-full"
        let noTLS = try TestPostgres.createDatabase() + "?sslmode=require"
        for (url, expected) in [
            (wrongPassword, "password authentication failed"), (untrusted, "TLS handshake failed"),
            (noTLS, "does not offer TLS"),
        ] {
            let (error, took) = openingFails(url)
            #expect(error?.code == .open, "\(url): \(String(describing: error))")
            #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
            #expect(error?.description.contains("s3cret-pass") == false, "the password is in the message")
            #expect(took < .seconds(5), "\(url) took \(took)")
        }
    }

    private func encryptedConnections() throws -> Int { try connections(encrypted: true) }
    private func plainConnections() throws -> Int { try connections(encrypted: false) }

    private func connections(encrypted: Bool) throws -> Int {
        let name = database.split(separator: "/").last!
        let rows = try TestPostgres.query(
            server.adminURL,
            """
            SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
            WHERE a.datname = '\(name)' AND s.ssl = \(encrypted)
            """)
        return Int(rows.first ?? "") ?? 0
    }
}
