import Foundation
import RapportDelivery
import Testing

@Suite("Maildir transport")
struct MaildirTransportTests {
    @Test("email: <id>.eml holds exactly MIMEMessage.render; rewriting the id overwrites; no temp files left")
    func email() throws {
        let root = temporaryPath("maildir")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/nested/out"
        let transport = try MaildirTransport(directory: directory, channel: .email)
        #expect(transport.name == "maildir")
        let envelope = Sample.envelope()
        _ = try transport.deliver(envelope, at: Sample.date)
        let path = directory + "/3f9a1c0b2d4e5f60.eml"
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written == MIMEMessage.render(envelope, date: Sample.date))

        var changed = envelope
        changed.subject = "Changed"
        _ = try transport.deliver(changed, at: Sample.date)
        let rewritten = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(rewritten == MIMEMessage.render(changed, date: Sample.date))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["3f9a1c0b2d4e5f60.eml"])
    }

    @Test("webhook: <id>.json holds the body")
    func webhook() throws {
        let directory = temporaryPath("maildir-webhook")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let transport = try MaildirTransport(directory: directory, channel: .webhook)
        let envelope = Sample.envelope(id: "msg_p5jXN8AQM9LWM0D4loKWxJek")
        _ = try transport.deliver(envelope, at: Sample.date)
        let written = try [UInt8](
            Data(contentsOf: URL(fileURLWithPath: directory + "/msg_p5jXN8AQM9LWM0D4loKWxJek.json")))
        #expect(written == envelope.webhookBody)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count == 1)
    }

    @Test("invalid envelopes are refused permanently and write nothing")
    func invalid() throws {
        let directory = temporaryPath("maildir-invalid")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let transport = try MaildirTransport(directory: directory, channel: .email)
        var envelope = Sample.envelope(id: "../escape")
        var error = deliveryError { () throws(DeliveryError) in try transport.deliver(envelope, at: Sample.date) }
        #expect(error?.kind == .permanent)
        envelope = Sample.envelope()
        envelope.from.name = "Zoë\r\nBcc: victim@example.net"
        error = deliveryError { () throws(DeliveryError) in try transport.deliver(envelope, at: Sample.date) }
        #expect(error?.kind == .permanent)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test("a path that is a file is refused")
    func notADirectory() throws {
        let file = temporaryPath("maildir-file")
        defer { try? FileManager.default.removeItem(atPath: file) }
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        #expect(throws: DeliveryConfigurationError.self) { try MaildirTransport(directory: file, channel: .email) }
    }
}
