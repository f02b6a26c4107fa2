import Foundation
import RapportDelivery
import Testing

@Suite("Header injection and invalid input")
struct HeaderInjectionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var change: @Sendable (inout Envelope) -> Void
    }

    static let injections: [Case] = [
        Case(testDescription: "CRLF in the From name") { $0.from.name = "Zoë\r\nBcc: victim@example.net" },
        Case(testDescription: "LF in the To name") { $0.to.name = "Björn\nBcc: victim@example.net" },
        Case(testDescription: "CR in the Reply-To name") { $0.replyTo?.name = "Team\rBcc: victim@example.net" },
        Case(testDescription: "CRLF in the subject") { $0.subject = "Hello\r\nBcc: victim@example.net" },
        Case(testDescription: "LF in the subject") { $0.subject = "Hello\nBcc: victim@example.net" },
        Case(testDescription: "CRLF in an address") { $0.to.address = "bjorn@example.org\r\nBcc: victim@example.net" },
        Case(testDescription: "CRLF in an extra header value") {
            $0.extraHeaders = [(name: "List-Unsubscribe", value: "<x>\r\nBcc: victim@example.net")]
        },
        Case(testDescription: "CRLF in an extra header name") {
            $0.extraHeaders = [(name: "X-A\r\nBcc", value: "victim@example.net")]
        },
        Case(testDescription: "CRLF in the message id") { $0.messageID = "abc\r\nBcc: victim@example.net" },
    ]

    @Test("CR/LF in any header field is refused, and render alone cannot inject a header", arguments: injections)
    func injection(_ testCase: Case) throws {
        var envelope = Sample.envelope()
        testCase.change(&envelope)
        let error = #expect(throws: DeliveryError.self) { try MIMEMessage.validate(envelope) }
        #expect(error?.kind == .permanent)
        let bytes = MIMEMessage.render(envelope, date: Sample.date)
        #expect(!MIMEDecoding.headers(bytes).contains { $0.name.lowercased() == "bcc" })
        for line in MIMEDecoding.lines(bytes) {
            #expect(!line.contains(0x0A) && !line.contains(0x0D))
        }
    }

    @Test(
        "implausible addresses are refused",
        arguments: [
            "", "no-at-sign", "a@@example.com", "a@b@example.com", "a b@example.com", "a@exa mple.com",
            "a@example..com", ".a@example.com", "a.@example.com", "a@-example.com", "zoë@example.com",
            "a@example.com>", "<a@example.com", "a@",
        ])
    func invalidAddress(_ address: String) {
        var envelope = Sample.envelope()
        envelope.to.address = address
        let error = #expect(throws: DeliveryError.self) { try MIMEMessage.validate(envelope) }
        #expect(error?.kind == .permanent)
    }

    @Test("extra headers may not replace the renderer's own", arguments: ["Subject", "from", "Bcc", "Content-Type"])
    func reservedHeader(_ name: String) {
        var envelope = Sample.envelope()
        envelope.extraHeaders = [(name: name, value: "x")]
        #expect(throws: DeliveryError.self) { try MIMEMessage.validate(envelope) }
    }

    @Test("message ids are limited to letters, digits, '.', '_' and '-'", arguments: ["", "../x", "a/b", "a b", ".x"])
    func invalidMessageID(_ id: String) {
        #expect(throws: DeliveryError.self) { try MIMEMessage.validate(Sample.envelope(id: id)) }
    }
}
