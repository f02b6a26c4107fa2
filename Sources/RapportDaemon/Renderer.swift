import Crypto
import Foundation
import RapportCore
import RapportDelivery
import RapportStore

/// Why one message could not be rendered.
public struct RenderError: Error, Sendable, CustomStringConvertible {
    public var messageID: String
    public var contactID: String
    public var problem: String

    public var description: String { "message \(messageID) (contact \(contactID)): \(problem)" }
}

/// Renders planned messages into the content stored with their rows.
public struct Renderer: Sendable {
    public let templates: TemplateLibrary
    let sender: Mailbox
    let businessName: String
    let unsubscribe: UnsubscribeSettings?

    /// Loads the templates and checks every template the policy names, with every variable and
    /// partial they use.
    public init(configuration: Configuration) throws(TemplateErrors) {
        templates = try TemplateLibrary(directory: configuration.templatesPath)
        sender = configuration.sender
        businessName = configuration.businessName
        unsubscribe = configuration.unsubscribe
        let policy = configuration.policy
        var uses: [(key: String, name: String)] = []
        if policy.checkin.enabled { uses.append(("rules.checkin.template", policy.checkin.template)) }
        if policy.progress.enabled { uses.append(("rules.progress.template", policy.progress.template)) }
        for (index, campaign) in policy.campaigns.enumerated() {
            uses.append(("campaigns[\(index)].template", campaign.template))
        }
        let errors = templates.validate(
            uses: uses, configFile: configuration.file,
            sample: TemplateContext.sample(sender: sender, businessName: businessName))
        if !errors.isEmpty { throw TemplateErrors(errors: errors) }
    }

    /// What a message is rendered from, and its digest.
    private struct Inputs {
        var context: [String: ContextValue]
        var template: String
        var unsubscribeURL: String?
        var sourceHash: String
    }

    private func inputs(_ planned: PlannedMessage) -> Inputs {
        // Promotions carry a signed one-click unsubscribe link (in the header, the JSON and the
        // template context); client messages are operational and carry none.
        let unsubscribeURL =
            planned.rule.kind == .promotion
            ? unsubscribe?.url(contactID: planned.contact.id, dueAt: planned.dueAt) : nil
        let context = TemplateContext.make(
            for: planned, sender: sender, businessName: businessName, unsubscribeURL: unsubscribeURL)
        let name = templates.variant(of: planned.template, languages: planned.contact.preferences.languageFallbacks)
        // The parts, each ended by a zero byte, hashed in one go.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1_024)
        for part in [
            templates.fingerprint, name, planned.channel.rawValue, sender.formatted,
            TemplateContext.longDate(planned.dueAt, in: planned.contact.timeZone),
        ] {
            bytes += part.utf8
            bytes.append(0)
        }
        ContextValue.object(context).writeCanonical(into: &bytes)
        bytes.append(0)
        var hasher = SHA256()
        hasher.update(data: bytes)
        return Inputs(
            context: context, template: name, unsubscribeURL: unsubscribeURL, sourceHash: hexDigits(hasher.finalize()))
    }

    /// The digest of everything `render` would use for this message, without rendering it: a
    /// stored message whose digest is unchanged needs no new rendering.
    public func sourceHash(_ planned: PlannedMessage) -> String {
        inputs(planned).sourceHash
    }

    /// What a message's content holds before it is rendered: sender, recipient, reply-to and
    /// the contact's fields, without subject, text or source digest (see
    /// ``MessageContent/unrendered(sender:recipientName:recipientAddress:)``).
    public func unrendered(_ planned: PlannedMessage) -> MessageContent {
        let contact = planned.contact
        var content = MessageContent.unrendered(
            sender: sender.formatted, recipientName: contact.name.isEmpty ? nil : contact.name,
            recipientAddress: contact.email)
        if contact.kind == .client, let manager = contact.accountManager, let email = manager.email {
            content.replyTo = Mailbox(name: manager.name, address: email).formatted
        }
        content.contactJSON = ContactPayload(contact).json
        return content
    }

    /// Renders one message. Line breaks in a subject or an address are refused: no value from
    /// the data or a template can add a header.
    public func render(_ planned: PlannedMessage) throws(RenderError) -> MessageContent {
        func fail(_ problem: String) -> RenderError {
            RenderError(messageID: planned.id, contactID: planned.contact.id, problem: problem)
        }
        let inputs = inputs(planned)
        let (context, name, unsubscribeURL) = (inputs.context, inputs.template, inputs.unsubscribeURL)
        guard let subjectText = templates.render("\(name).subject", context),
            let text = templates.render("\(name).text", context)
        else {
            throw fail("template '\(name)' is missing")
        }
        let subject = subjectText.trimmingCharacters(in: .whitespacesAndNewlines)
        if subject.isEmpty { throw fail("the subject rendered empty") }
        if subject.contains(where: \.isNewline) { throw fail("the subject contains a line break") }
        let html = templates.contains("\(name).html") ? templates.render("\(name).html", context) : nil
        var content = unrendered(planned)
        content.subject = subject
        content.text = text
        content.html = html
        content.sourceHash = inputs.sourceHash
        content.unsubscribeURL = unsubscribeURL
        // Refuse now, at planning time, what a transport would refuse at send time: a line break
        // in a header, an address that is not one.
        if planned.channel == .email {
            do {
                let envelope = Envelope(
                    messageID: planned.id, from: sender,
                    to: Mailbox(name: content.recipientName, address: content.recipientAddress ?? ""),
                    replyTo: try content.replyTo.map { try Mailbox(parsing: $0) }, subject: subject, text: text,
                    html: html, extraHeaders: Engine.unsubscribeHeaders(content, mailto: unsubscribe?.mailto))
                try MIMEMessage.validate(envelope)
            } catch let error as DeliveryError {
                throw fail(error.detail)
            } catch {
                throw fail("\(error)")
            }
        }
        return content
    }
}

extension Mailbox {
    /// `Name <address>` (the name quoted when it holds specials such as `<` or `,`), or the bare
    /// address: the stored form, read back with `Mailbox(parsing:)`. Headers are written by the
    /// MIME writer, which encodes names itself.
    public var formatted: String {
        guard let name, !name.isEmpty else { return address }
        let specials = Set("()<>[]:;@\\,.\"")
        guard name.contains(where: specials.contains) else { return "\(name) <\(address)>" }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\" <\(address)>"
    }
}
