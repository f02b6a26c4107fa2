import Foundation
import Mustache
import RapportCore
import RapportDelivery

/// A value handed to a template: built from the model, rendered by Mustache, and hashed to know
/// when a stored message must be rendered again.
indirect enum ContextValue: Sendable, Hashable {
    case text(String)
    case number(Int)
    case flag(Bool)
    case list([ContextValue])
    case object([String: ContextValue])

    /// The value in the shapes swift-mustache walks: objects, arrays and plain values. An
    /// object's fields are converted only when a template names them.
    var mustacheValue: Any {
        switch self {
        case .text(let text): text
        case .number(let number): number
        case .flag(let flag): flag
        case .list(let items): items.map(\.mustacheValue)
        case .object(let fields): MustacheObject(fields: fields)
        }
    }

    /// A canonical text form (sorted keys), the input of the source digest.
    var canonical: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        writeCanonical(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``canonical`` to `bytes`, without the intermediate strings of each part.
    func writeCanonical(into bytes: inout [UInt8]) {
        switch self {
        case .text(let text):
            bytes.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        case .number(let number): bytes += String(number).utf8
        case .flag(let flag): bytes += (flag ? "true" : "false").utf8
        case .list(let items):
            bytes.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                item.writeCanonical(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            bytes.append(UInt8(ascii: "{"))
            for (position, key) in fields.keys.sorted().enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(UInt8(ascii: "\""))
                bytes += key.utf8
                bytes += "\":".utf8
                fields[key]!.writeCanonical(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}

/// An object of the template context as swift-mustache sees it.
///
/// A plain `[String: Any]` would do, but it costs a dictionary conversion per render and, at
/// every name a template looks up, runtime casts against a conditional conformance
/// (`Dictionary: MustacheParent where Key == String`), the slowest kind: a quarter of a large
/// plan's time went there. This type conforms outright.
struct MustacheObject: MustacheParent {
    let fields: [String: ContextValue]

    func child(named name: String) -> Any? { fields[name]?.mustacheValue }
}

/// Builds the variables a template sees. The same builder makes the complete sample used to
/// validate templates at start-up, so a template can only name variables that exist.
enum TemplateContext {
    static func make(
        for planned: PlannedMessage, sender: Mailbox, businessName: String, unsubscribeURL: String? = nil
    ) -> [String: ContextValue] {
        let contact = planned.contact
        let zone = contact.timeZone
        var context: [String: ContextValue] = [
            "business": .object(["name": .text(businessName)]),
            "sender": mailbox(sender),
            "contact": contactValue(contact),
            "manager": contact.accountManager.map(managerValue) ?? mailbox(sender),
            "due": .object([
                "date": .text(longDate(planned.dueAt, in: zone)),
                "iso": .text(planned.dueAt.formatted(.iso8601)),
            ]),
            "projects": .list(contact.projects.filter { $0.status == .active }.map(projectValue)),
        ]
        if let project = planned.project { context["project"] = projectValue(project) }
        if let unsubscribeURL { context["unsubscribe_url"] = .text(unsubscribeURL) }
        if let campaign = planned.campaign {
            context["campaign"] = .object([
                "name": .text(campaign.name), "starts": .text(campaign.starts.description),
                "ends": .text(campaign.ends.description),
            ])
        }
        return context
    }

    /// A context in which every optional variable is present, for validation.
    static func sample(sender: Mailbox, businessName: String) -> [String: ContextValue] {
        let project = Project(
            id: "p-1", name: "Sample project", status: .active, progress: 50, nextMilestone: "Milestone",
            dueDate: "2030-01-31")
        let contact = Contact(
            id: "sample", name: "Sample Person", email: "sample@example.com", kind: .client, timeZone: .gmt,
            accountManager: AccountManager(name: "Manager", email: "manager@example.com"), tier: "gold",
            marketingOptIn: true, lastContactAt: Date(timeIntervalSince1970: 0), tags: ["tag"], projects: [project],
            preferences: ContactPreferences(language: "en"))
        var campaign = Campaign(
            name: "sample", starts: LocalDate(year: 2030, month: 1, day: 1),
            ends: LocalDate(year: 2030, month: 1, day: 2))
        campaign.tags = ["tag"]
        let planned = PlannedMessage(
            key: MessageKey(contactID: "sample", rule: .checkin, occurrence: "sample"), contact: contact,
            channel: .email,
            template: "sample", dueAt: Date(timeIntervalSince1970: 0), state: .scheduled, reason: "", project: project,
            campaign: campaign)
        return make(
            for: planned, sender: sender, businessName: businessName,
            unsubscribeURL: "https://example.com/unsubscribe/sample")
    }

    private static func contactValue(_ contact: Contact) -> ContextValue {
        var fields: [String: ContextValue] = [
            "id": .text(contact.id), "name": .text(contact.name), "first_name": .text(contact.firstName),
            "kind": .text(contact.kind.rawValue), "timezone": .text(contact.timeZone.identifier),
            "tags": .list(contact.tags.map(ContextValue.text)),
        ]
        if let email = contact.email { fields["email"] = .text(email) }
        if let tier = contact.tier { fields["tier"] = .text(tier) }
        if let language = contact.preferences.language { fields["language"] = .text(language) }
        return .object(fields)
    }

    private static func managerValue(_ manager: AccountManager) -> ContextValue {
        var fields: [String: ContextValue] = ["name": .text(manager.name)]
        if let email = manager.email { fields["email"] = .text(email) }
        return .object(fields)
    }

    private static func mailbox(_ mailbox: Mailbox) -> ContextValue {
        .object(["name": .text(mailbox.name ?? mailbox.address), "email": .text(mailbox.address)])
    }

    private static func projectValue(_ project: Project) -> ContextValue {
        var fields: [String: ContextValue] = [
            "id": .text(project.id), "name": .text(project.name), "status": .text(project.status.rawValue),
            "progress": .number(project.progress),
        ]
        if let milestone = project.nextMilestone { fields["next_milestone"] = .text(milestone) }
        if let due = project.dueDate { fields["due_date"] = .text(due) }
        return .object(fields)
    }

    /// "Monday 7 December 2026", in the recipient's zone; English for now.
    static func longDate(_ date: Date, in zone: TimeZone) -> String {
        let day = LocalDate(date, in: zone)
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ]
        let weekday = "\(day.weekday)".capitalized
        return "\(weekday) \(day.day) \(months[day.month - 1]) \(day.year)"
    }
}
