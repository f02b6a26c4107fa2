import Foundation
import RapportDelivery
import Testing

@Suite("MIME rendering")
struct MIMEMessageTests {
    let rendered = MIMEMessage.render(Sample.envelope(), date: Sample.date)

    @Test("headers are present, in order, with the right values")
    func headers() throws {
        let headers = MIMEDecoding.headers(rendered)
        #expect(
            headers.map(\.name) == [
                "Date", "Message-ID", "From", "To", "Reply-To", "Subject", "MIME-Version", "List-Unsubscribe",
                "Content-Type",
            ])
        #expect(MIMEDecoding.header("Date", in: rendered) == "Tue, 23 Feb 2021 14:02:10 +0000")
        #expect(MIMEDecoding.header("Message-ID", in: rendered) == "<3f9a1c0b2d4e5f60@example.com>")
        #expect(MIMEDecoding.header("MIME-Version", in: rendered) == "1.0")
        #expect(MIMEDecoding.header("Reply-To", in: rendered) == "Account team <team@example.com>")
        #expect(
            MIMEDecoding.header("List-Unsubscribe", in: rendered)
                == "<https://example.com/unsubscribe/3f9a1c0b2d4e5f60>")
    }

    @Test("every line ends in CRLF and stays within 78 (so 998) octets; headers are ASCII")
    func lineDiscipline() {
        let lines = MIMEDecoding.lines(rendered)
        #expect(lines.last == [], "the message ends with CRLF")
        for line in lines {
            #expect(!line.contains(0x0A) && !line.contains(0x0D), "bare CR or LF in \(line)")
            #expect(line.count <= 78, "line of \(line.count) octets")
            #expect(line.count <= 998)
        }
        #expect(rendered.allSatisfy { $0 < 0x80 }, "8-bit data in a 7-bit message")
    }

    @Test("non-ASCII display names and subject are RFC 2047 encoded words of at most 75 characters")
    func encodedWords() throws {
        let from = try #require(MIMEDecoding.header("From", in: rendered))
        let subject = try #require(MIMEDecoding.header("Subject", in: rendered))
        #expect(from.hasPrefix("=?UTF-8?B?"))
        #expect(MIMEDecoding.decodeWords(from) == "Zoë Ångström <zoe@example.com>")
        #expect(MIMEDecoding.decodeWords(subject) == Sample.subject)
        let words = MIMEDecoding.encodedWords(subject) + MIMEDecoding.encodedWords(from)
        #expect(MIMEDecoding.encodedWords(subject).count > 1, "a long subject is split into several words")
        for word in words {
            #expect(word.count <= 75, "\(word) is \(word.count) characters")
            #expect(word.hasSuffix("?="))
        }
    }

    @Test("long non-ASCII text is quoted-printable with lines of at most 76 characters and decodes back")
    func quotedPrintable() throws {
        let text =
            String(repeating: "Größenordnung überschritten – ½ € pro Zeile; ", count: 60) + "\nZweite Zeile. \nEnde"
        var envelope = Sample.envelope(html: nil)
        envelope.text = text
        let bytes = MIMEMessage.render(envelope, date: Sample.date)
        #expect(MIMEDecoding.header("Content-Type", in: bytes) == "text/plain; charset=UTF-8")
        #expect(MIMEDecoding.header("Content-Transfer-Encoding", in: bytes) == "quoted-printable")
        let body = try #require(Self.body(of: bytes))
        for line in MIMEDecoding.lines(body) {
            #expect(line.count <= 76)
            #expect(line.last != 0x20 && line.last != 0x09, "trailing whitespace must be encoded")
        }
        let decoded = MIMEDecoding.decodeQuotedPrintable(body)
        #expect(String(decoding: decoded, as: UTF8.self) == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test("with HTML: multipart/alternative, text part first, boundary derived from the message id")
    func multipart() throws {
        let boundary = MIMEMessage.boundary(for: "3f9a1c0b2d4e5f60")
        let contentType = try #require(MIMEDecoding.header("Content-Type", in: rendered))
        #expect(contentType == "multipart/alternative; boundary=\"\(boundary)\"")
        let text = String(decoding: rendered, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n--\(boundary)")
        #expect(parts.count == 4, "preamble, text, html, closing")
        #expect(parts[1].hasPrefix("\r\nContent-Type: text/plain; charset=UTF-8\r\n"))
        #expect(parts[2].hasPrefix("\r\nContent-Type: text/html; charset=UTF-8\r\n"))
        #expect(parts[3] == "--\r\n")
        let html = try #require(parts[2].components(separatedBy: "\r\n\r\n").last)
        let decoded = String(decoding: MIMEDecoding.decodeQuotedPrintable(Array(html.utf8)), as: UTF8.self)
        #expect(decoded == Sample.html)
    }

    @Test("rendering is deterministic; another id gives another boundary")
    func deterministic() {
        #expect(MIMEMessage.render(Sample.envelope(), date: Sample.date) == rendered)
        #expect(MIMEMessage.boundary(for: "a") == MIMEMessage.boundary(for: "a"))
        #expect(MIMEMessage.boundary(for: "a") != MIMEMessage.boundary(for: "b"))
        #expect(MIMEMessage.render(Sample.envelope(id: "other-id"), date: Sample.date) != rendered)
    }

    @Test("ASCII names with specials are quoted; plain names stay atoms")
    func asciiNames() {
        var envelope = Sample.envelope()
        envelope.from = Mailbox(name: "Doe, \"Jane\"", address: "jane@example.com")
        envelope.to = Mailbox(name: nil, address: "bob@example.org")
        let bytes = MIMEMessage.render(envelope, date: Sample.date)
        #expect(MIMEDecoding.header("From", in: bytes) == #""Doe, \"Jane\"" <jane@example.com>"#)
        #expect(MIMEDecoding.header("To", in: bytes) == "bob@example.org")
        #expect(MIMEDecoding.header("Message-ID", in: bytes) == "<3f9a1c0b2d4e5f60@example.com>")
    }

    @Test("a valid envelope passes validation and renders the same either way")
    func validated() throws {
        #expect(try MIMEMessage.renderValidated(Sample.envelope(), date: Sample.date) == rendered)
    }

    static func body(of message: [UInt8]) -> [UInt8]? {
        for index in 0..<(message.count - 3)
        where message[index..<(index + 4)].elementsEqual([0x0D, 0x0A, 0x0D, 0x0A]) {
            return Array(message[(index + 4)...].dropLast(2))
        }
        return nil
    }
}
