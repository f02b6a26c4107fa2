import Foundation
import RapportCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes each message as a file into a directory, for demos and dry runs.
///
/// The email channel writes `<messageID>.eml` holding exactly the bytes SMTP would send; the webhook channel writes
/// `<messageID>.json` holding the body. Each write goes to a temporary name in the same directory, is fsynced and
/// then renamed, so readers see whole files only; writing the same id again replaces the file (idempotent).
/// Thread safety: the instance has no mutable state and distinct ids never share a temporary name, so concurrent
/// calls are safe.
public final class MaildirTransport: Transport, Sendable {
    /// What each file holds.
    public enum Channel: String, Sendable, Hashable {
        /// `<messageID>.eml`: the rendered RFC 5322 message.
        case email
        /// `<messageID>.json`: ``Envelope/webhookBody``.
        case webhook
    }

    public var name: String { "maildir" }

    /// The directory the files go to.
    public let directory: String
    /// What each file holds.
    public let channel: Channel

    /// Creates the transport, creating `directory` (and its parents) when missing.
    ///
    /// - Throws: ``DeliveryConfigurationError`` when the directory cannot be created or is not a directory.
    public init(directory: String, channel: Channel) throws(DeliveryConfigurationError) {
        guard !directory.isEmpty else { throw DeliveryConfigurationError("maildir directory must not be empty") }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DeliveryConfigurationError("cannot create maildir directory \(directory): \(error)")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DeliveryConfigurationError("maildir path \(directory) is not a directory")
        }
        self.directory = directory
        self.channel = channel
    }

    /// The path of the file a message id is written to.
    public func path(for messageID: String) -> String {
        directory + "/" + messageID + (channel == .email ? ".eml" : ".json")
    }

    /// Writes the message file.
    ///
    /// - Throws: A permanent ``DeliveryError`` for an invalid envelope, a transient one when the write fails.
    public func deliver(_ envelope: Envelope, at date: Date) throws(DeliveryError) -> DeliveryReceipt {
        let start = ContinuousClock.now
        let bytes: [UInt8]
        switch channel {
        case .email:
            bytes = try MIMEMessage.renderValidated(envelope, date: date)
        case .webhook:
            try Envelope.validateMessageID(envelope.messageID)
            bytes = envelope.webhookBody
        }
        let target = path(for: envelope.messageID)
        do {
            try AtomicFile.replace(bytes, to: target, directory: directory)
        } catch {
            throw DeliveryError(kind: .transient, detail: error.description)
        }
        return DeliveryReceipt(detail: "wrote \(target)", latency: ContinuousClock.now - start)
    }
}
