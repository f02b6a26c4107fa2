import Crypto
import Foundation

/// Renders an ``Envelope`` as an RFC 5322 / MIME message with CRLF line endings.
///
/// The output is a pure function of the envelope and the date: the multipart boundary is derived from the
/// message id, so the same message always renders to the same bytes.
public enum MIMEMessage {
    /// The message bytes SMTP sends and the maildir transport stores.
    ///
    /// This never fails: header text is neutralised (control characters, CR and LF become spaces) so no value can
    /// start a header of its own, but nothing is refused. Use ``validate(_:)``, or ``renderValidated(_:date:)`` as
    /// the transports do, to refuse such envelopes instead.
    public static func render(_ envelope: Envelope, date: Date) -> [UInt8] {
        var head: [String] = []
        let messageID = neutralisedID(envelope.messageID)
        let domain = HeaderSyntax.neutralised(envelope.from.domain)
        head.append("Date: " + RFC5322Date.format(date))
        head.append("Message-ID: <\(messageID)@\(domain)>")
        head.append(HeaderFolding.mailbox(name: "From", envelope.from))
        head.append(HeaderFolding.mailbox(name: "To", envelope.to))
        if let replyTo = envelope.replyTo {
            head.append(HeaderFolding.mailbox(name: "Reply-To", replyTo))
        }
        head.append(HeaderFolding.unstructured(name: "Subject", value: HeaderSyntax.neutralised(envelope.subject)))
        head.append("MIME-Version: 1.0")
        for header in envelope.extraHeaders {
            let name = HeaderSyntax.neutralisedName(header.name)
            head.append(HeaderFolding.unstructured(name: name, value: HeaderSyntax.neutralised(header.value)))
        }
        var output: [UInt8] = []
        func line(_ text: String) {
            output.append(contentsOf: text.utf8)
            output.append(contentsOf: [0x0D, 0x0A])
        }
        head.forEach(line)
        guard let html = envelope.html else {
            textPart(type: "text/plain", body: envelope.text, into: &output)
            return output
        }
        let boundary = boundary(for: envelope.messageID)
        line("Content-Type: multipart/alternative;")
        line(" boundary=\"\(boundary)\"")
        line("")
        line("This is a multi-part message in MIME format.")
        line("--" + boundary)
        textPart(type: "text/plain", body: envelope.text, into: &output)
        line("--" + boundary)
        textPart(type: "text/html", body: html, into: &output)
        line("--" + boundary + "--")
        return output
    }

    /// Refuses an envelope that cannot be sent as given: a bad message id or address, CR/LF or other control
    /// characters in any header value, a bad or reserved extra header name, or a header too long to fold.
    ///
    /// - Throws: A permanent ``DeliveryError``.
    public static func validate(_ envelope: Envelope) throws(DeliveryError) {
        try Envelope.validateMessageID(envelope.messageID)
        try envelope.from.validate(role: "From")
        try envelope.to.validate(role: "To")
        try envelope.replyTo?.validate(role: "Reply-To")
        if let problem = HeaderSyntax.valueProblem(envelope.subject) {
            throw .invalid("Subject \(problem)")
        }
        for header in envelope.extraHeaders {
            if let problem = HeaderSyntax.nameProblem(header.name) {
                throw .invalid(problem)
            }
            if let problem = HeaderSyntax.valueProblem(header.value) {
                throw .invalid("header \(header.name) \(problem)")
            }
            let words = header.value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            if !RFC2047.needsEncoding(header.value) && HeaderFolding.fold(name: header.name, words: words) == nil {
                throw .invalid("header \(header.name) has a word too long for one line")
            }
        }
    }

    /// ``validate(_:)`` then ``render(_:date:)``.
    public static func renderValidated(_ envelope: Envelope, date: Date) throws(DeliveryError) -> [UInt8] {
        try validate(envelope)
        return render(envelope, date: date)
    }

    /// The multipart boundary for a message id: `=_rapport_` and 32 hex digits of its SHA-256.
    ///
    /// It starts with `=_`, which quoted-printable text can never contain, so it cannot collide with a body.
    public static func boundary(for messageID: String) -> String {
        let digest = SHA256.hash(data: Array(messageID.utf8))
        let hex = digest.prefix(16).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }
        return "=_rapport_" + hex.joined()
    }

    private static func textPart(type: String, body: String, into output: inout [UInt8]) {
        let headers =
            "Content-Type: \(type); charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        output.append(contentsOf: headers.utf8)
        output.append(contentsOf: QuotedPrintable.encode(body))
        output.append(contentsOf: [0x0D, 0x0A])
    }

    private static func neutralisedID(_ id: String) -> String {
        let bytes = id.utf8.map { byte -> UInt8 in
            MailboxSyntax.isAlphanumeric(byte) || byte == 0x2E || byte == 0x5F || byte == 0x2D ? byte : 0x5F
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
