import Foundation
import RapportDaemon
import RapportDelivery
import Testing

/// `[http] listen` and secrets from `$CREDENTIALS_DIRECTORY`.
@Suite struct ObservabilityConfigurationTests {
    @Test func httpListenIsOptionalAndValidated() throws {
        let sandbox = Sandbox()
        #expect(try sandbox.load(sandbox.config()).httpListen == nil)
        let configuration = try sandbox.load(sandbox.config("[http]\nlisten = \"127.0.0.1:9465\""))
        #expect(configuration.httpListen == HTTPListenAddress(host: "127.0.0.1", port: 9465))
        #expect(
            sandbox.errors(sandbox.config("[http]\nlisten = \"127.0.0.1\"")).contains {
                $0.contains("http.listen: '127.0.0.1' is not host:port")
            })
        #expect(sandbox.errors(sandbox.config("[http]\nport = 1")).contains { $0.contains("http.port: unknown key") })
    }

    @Test func listenAddressesParse() {
        #expect(HTTPListenAddress(parsing: "127.0.0.1:9465") == HTTPListenAddress(host: "127.0.0.1", port: 9465))
        #expect(HTTPListenAddress(parsing: "[::1]:80") == HTTPListenAddress(host: "::1", port: 80))
        #expect(HTTPListenAddress(parsing: "[::1]:80")?.description == "[::1]:80")
        #expect(HTTPListenAddress(parsing: "localhost:8080")?.host == "localhost")
        for bad in ["", "9465", ":9465", "127.0.0.1:0", "127.0.0.1:70000", "::1:80", "[::1]80", "a b:1"] {
            #expect(HTTPListenAddress(parsing: bad) == nil, "\(bad) should not parse")
        }
    }

    @Test func secretsComeFromSystemdCredentials() throws {
        let sandbox = Sandbox()
        sandbox.write("creds/webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")
        let toml = sandbox.config().replacingOccurrences(
            of: "[webhook]\ntransport = \"maildir\"\nmaildir = \"state/hooks\"",
            with:
                "[webhook]\ntransport = \"http\"\nurl = \"http://127.0.0.1:9/hook\"\nsecret_credential = \"webhook-secret\""
        )
        let configuration = try sandbox.load(toml, environment: ["CREDENTIALS_DIRECTORY": sandbox.path("creds")])
        guard case .http(let webhook) = configuration.webhook else {
            Issue.record("webhook transport should be http")
            return
        }
        #expect(webhook.secrets.count == 1)
        #expect(
            sandbox.errors(toml).contains {
                $0.contains("webhook.secret_credential: $CREDENTIALS_DIRECTORY is not set")
            })
        #expect(
            sandbox.errors(toml, environment: ["CREDENTIALS_DIRECTORY": sandbox.path("nowhere")]).contains {
                $0.contains("webhook.secret_credential: cannot read credential")
            })
        let sneaky = toml.replacingOccurrences(of: "\"webhook-secret\"", with: "\"../webhook-secret\"")
        #expect(
            sandbox.errors(sneaky, environment: ["CREDENTIALS_DIRECTORY": sandbox.path("creds")]).contains {
                $0.contains("webhook.secret_credential: '../webhook-secret' is not a credential name")
            })
        let both = toml.replacingOccurrences(
            of: "secret_credential = \"webhook-secret\"",
            with: "secret_credential = \"webhook-secret\"\nsecret_env = \"X\"")
        #expect(
            sandbox.errors(both, environment: ["CREDENTIALS_DIRECTORY": sandbox.path("creds"), "X": "y"]).contains {
                $0.contains("webhook.secret_credential: give only one of")
            })
    }
}
