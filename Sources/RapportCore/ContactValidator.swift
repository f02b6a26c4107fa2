import Foundation

/// Turns raw records into ``Contact`` values, collecting every problem with its field.
struct ContactValidator {
    let file: String
    let defaultTimeZone: TimeZone?
    private(set) var errors: [DataError] = []
    private var zones: [String: TimeZone] = [:]
    /// Tag lists and account managers repeat across contacts: each is held once.
    private var tagLists = Interner<[String]>()
    private var managers = Interner<Shared<AccountManager>>()

    init(file: String, defaultTimeZone: TimeZone?) {
        self.file = file
        self.defaultTimeZone = defaultTimeZone
    }

    /// The contact for a record, or `nil` after recording why it is invalid.
    mutating func contact(from fields: [String: RawValue], line: Int) -> Contact? {
        let errorCount = errors.count
        func fail(_ field: String?, _ problem: String) {
            errors.append(DataError(file: file, line: line, field: field, problem: problem))
        }

        let id = text(fields["id"], field: "id", line: line)?.trimmingWhitespace()
        if id == nil || id!.isEmpty {
            fail("id", "required")
        } else if id!.contains(where: { $0.isNewline || $0 == "|" }) {
            fail("id", "must not contain line breaks or '|'")
        }
        let name = text(fields["name"], field: "name", line: line) ?? ""
        if name.contains(where: \.isNewline) { fail("name", "must not contain line breaks") }

        var email = text(fields["email"], field: "email", line: line)?.trimmingWhitespace()
        if email?.isEmpty == true { email = nil }
        if let email, !Self.isPlausibleAddress(email) {
            fail("email", "'\(email)' is not an email address")
        }

        var kind: ContactKind?
        switch text(fields["kind"], field: "kind", line: line)?.lowercased() {
        case nil: fail("kind", "required (client or customer)")
        case let value?:
            kind = ContactKind(rawValue: value)
            if kind == nil { fail("kind", "'\(value)' is not client or customer") }
        }

        var timeZone = defaultTimeZone
        if let zoneName = text(fields["timezone"], field: "timezone", line: line) {
            timeZone = zone(named: zoneName)
            if timeZone == nil { fail("timezone", "unknown time zone '\(zoneName)'") }
        } else if defaultTimeZone == nil {
            fail("timezone", "required (an IANA name such as Europe/London)")
        }

        let manager = accountManager(fields, line: line)
        let tier = text(fields["tier"], field: "tier", line: line)
        let optIn = bool(fields["marketing_opt_in"], field: "marketing_opt_in", line: line) ?? false
        var lastContact: Date?
        if let value = text(fields["last_contact_at"], field: "last_contact_at", line: line) {
            lastContact = Self.parseInstant(value, timeZone: timeZone ?? .gmt)
            if lastContact == nil {
                fail("last_contact_at", "'\(value)' is not an ISO 8601 date or date-time")
            }
        }
        var tags = list(fields["tags"], field: "tags", line: line)
        if !tags.isEmpty { tags = tagLists.shared(tags) }
        let projects = projects(fields["projects"], line: line)
        var status = ContactStatus.active
        if let raw = text(fields["status"], field: "status", line: line)?.trimmingWhitespace(),
            !raw.isEmpty
        {
            if let parsed = ContactStatus(rawValue: raw.lowercased()) {
                status = parsed
            } else {
                fail("status", "'\(raw)' is not one of active, paused, unsubscribed")
            }
        }
        var checkinEvery: Cadence?
        if let raw = text(fields["checkin_every"], field: "checkin_every", line: line), !raw.isEmpty {
            do {
                checkinEvery = try Cadence(parsing: raw)
            } catch {
                fail("checkin_every", error.description)
            }
        }
        let region = text(fields["region"], field: "region", line: line)?.trimmingWhitespace()
            .lowercased()
        var lastPurchase: Date?
        if let value = text(fields["last_purchase_at"], field: "last_purchase_at", line: line) {
            lastPurchase = Self.parseInstant(value, timeZone: timeZone ?? .gmt)
            if lastPurchase == nil {
                fail("last_purchase_at", "'\(value)' is not an ISO 8601 date or date-time")
            }
        }

        var preferences = ContactPreferences()
        if let raw = text(fields["channel"], field: "channel", line: line)?.trimmingWhitespace(),
            !raw.isEmpty
        {
            preferences.channel = ContactPreferences.ChannelPreference(rawValue: raw.lowercased())
            if preferences.channel == nil { fail("channel", "'\(raw)' is not one of email, webhook, none") }
        }
        if let raw = text(fields["language"], field: "language", line: line)?.trimmingWhitespace(),
            !raw.isEmpty
        {
            if ContactPreferences.isLanguageTag(raw) {
                preferences.language = raw.lowercased()
            } else {
                fail("language", "'\(raw)' is not a language tag such as fr or pt-BR")
            }
        }
        if let raw = text(fields["checkin_day"], field: "checkin_day", line: line)?
            .trimmingWhitespace(), !raw.isEmpty
        {
            preferences.checkinDay = Weekday(name: raw)
            if preferences.checkinDay == nil { fail("checkin_day", "'\(raw)' is not a day of the week") }
        }
        if let raw = text(fields["checkin_time"], field: "checkin_time", line: line)?
            .trimmingWhitespace(), !raw.isEmpty
        {
            preferences.checkinTime = LocalTime(parsing: raw)
            if preferences.checkinTime == nil { fail("checkin_time", "'\(raw)' is not a time of day such as 10:30") }
        }

        guard errors.count == errorCount, let id, let kind, let timeZone else { return nil }
        var contact = Contact(
            id: id, name: name, email: email, kind: kind, timeZone: timeZone, tier: tier, marketingOptIn: optIn,
            lastContactAt: lastContact, tags: tags, projects: projects, status: status, checkinEvery: checkinEvery,
            region: region?.isEmpty == true ? nil : region, lastPurchaseAt: lastPurchase, preferences: preferences)
        // The clients of one manager share one copy of the manager.
        contact.sharedAccountManager = manager.map { managers.shared(Shared($0)) }
        return contact
    }

    // MARK: - Fields

    private mutating func text(_ value: RawValue?, field: String, line: Int) -> String? {
        switch value {
        case nil, .null: return nil
        case .string(let string): return string
        case .number(let number):
            return number == number.rounded() ? String(Int(number)) : String(number)
        case let other?:
            errors.append(
                DataError(file: file, line: line, field: field, problem: "expected text, found \(other.typeName)"))
            return nil
        }
    }

    private mutating func bool(_ value: RawValue?, field: String, line: Int) -> Bool? {
        switch value {
        case nil, .null: return nil
        case .bool(let flag): return flag
        case .string(let string):
            switch string.trimmingWhitespace().lowercased() {
            case "true", "yes", "y", "1": return true
            case "false", "no", "n", "0", "": return false
            default:
                errors.append(
                    DataError(file: file, line: line, field: field, problem: "'\(string)' is not true or false"))
                return nil
            }
        case .number(let number) where number == 0 || number == 1: return number == 1
        case let other?:
            errors.append(
                DataError(
                    file: file, line: line, field: field, problem: "expected true or false, found \(other.typeName)"))
            return nil
        }
    }

    private mutating func list(_ value: RawValue?, field: String, line: Int) -> [String] {
        switch value {
        case nil, .null: return []
        case .string(let string):
            return string.split(whereSeparator: { $0 == ";" || $0 == "," })
                .map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        case .array(let items):
            var result: [String] = []
            for item in items {
                guard case .string(let string) = item else {
                    errors.append(DataError(file: file, line: line, field: field, problem: "expected a list of text"))
                    return []
                }
                result.append(string)
            }
            return result
        case let other?:
            errors.append(
                DataError(file: file, line: line, field: field, problem: "expected a list, found \(other.typeName)"))
            return []
        }
    }

    private mutating func accountManager(_ fields: [String: RawValue], line: Int) -> AccountManager? {
        var name: String?
        var email: String?
        switch fields["account_manager"] {
        case .object(let object)?:
            name = text(object["name"], field: "account_manager.name", line: line)
            email = text(object["email"], field: "account_manager.email", line: line)
        case .string(let string)?:
            // "Grace Hopper <grace@firm.example>" or just a name.
            if let open = string.lastIndex(of: "<"), string.hasSuffix(">") {
                name = string[..<open].trimmingWhitespace()
                email = String(string[string.index(after: open)..<string.index(before: string.endIndex)])
            } else {
                name = string
            }
        case nil, .null?:
            name = text(fields["account_manager_name"], field: "account_manager_name", line: line)
            email = text(fields["account_manager_email"], field: "account_manager_email", line: line)
        case let other?:
            errors.append(
                DataError(
                    file: file, line: line, field: "account_manager",
                    problem: "expected an object, found \(other.typeName)"))
        }
        if let email, !email.isEmpty, !Self.isPlausibleAddress(email) {
            errors.append(
                DataError(
                    file: file, line: line, field: "account_manager.email",
                    problem: "'\(email)' is not an email address"))
        }
        if name?.contains(where: \.isNewline) == true {
            errors.append(
                DataError(
                    file: file, line: line, field: "account_manager.name", problem: "must not contain line breaks"))
        }
        guard let name, !name.isEmpty else { return nil }
        return AccountManager(name: name, email: email?.isEmpty == true ? nil : email)
    }

    private mutating func projects(_ value: RawValue?, line: Int) -> [Project] {
        var value = value
        // CSV carries projects as a JSON array in one column.
        if case .string(let json)? = value {
            guard let decoded = try? JSONValueParser.value(of: json.utf8) else {
                errors.append(DataError(file: file, line: line, field: "projects", problem: "not a valid JSON list"))
                return []
            }
            value = decoded
        }
        guard case .array(let items)? = value else {
            if let value, value != .null {
                errors.append(
                    DataError(file: file, line: line, field: "projects", problem: "expected a list of projects"))
            }
            return []
        }
        var projects: [Project] = []
        for (position, item) in items.enumerated() {
            let prefix = "projects[\(position)]"
            guard case .object(let fields) = item else {
                errors.append(DataError(file: file, line: line, field: prefix, problem: "expected an object"))
                continue
            }
            let before = errors.count
            let id = text(fields["id"], field: "\(prefix).id", line: line)
            if id?.isEmpty != false {
                errors.append(DataError(file: file, line: line, field: "\(prefix).id", problem: "required"))
            }
            let name = text(fields["name"], field: "\(prefix).name", line: line) ?? id ?? ""
            var status = ProjectStatus.active
            if let raw = text(fields["status"], field: "\(prefix).status", line: line) {
                if let parsed = ProjectStatus(rawValue: raw.lowercased()) {
                    status = parsed
                } else {
                    let allowed = ProjectStatus.allCases.map(\.rawValue).joined(separator: ", ")
                    errors.append(
                        DataError(
                            file: file, line: line, field: "\(prefix).status",
                            problem: "'\(raw)' is not one of \(allowed)"))
                }
            }
            var progress = 0
            switch fields["progress"] {
            case .number(let number)?:
                progress = Int(number)
            case .string(let string)?:
                progress = Int(string.trimmingCharacters(in: CharacterSet(charactersIn: " %"))) ?? -1
            default:
                break
            }
            if !(0...100).contains(progress) {
                errors.append(
                    DataError(
                        file: file, line: line, field: "\(prefix).progress", problem: "must be a number from 0 to 100"))
            }
            let milestone = text(fields["next_milestone"], field: "\(prefix).next_milestone", line: line)
            let due = text(fields["due_date"], field: "\(prefix).due_date", line: line)
            if let due, LocalDate(parsing: due) == nil {
                errors.append(
                    DataError(
                        file: file, line: line, field: "\(prefix).due_date",
                        problem: "'\(due)' is not a date (YYYY-MM-DD)"))
            }
            if errors.count == before, let id {
                projects.append(
                    Project(
                        id: id, name: name, status: status, progress: progress, nextMilestone: milestone, dueDate: due))
            }
        }
        return projects
    }

    private mutating func zone(named name: String) -> TimeZone? {
        if let cached = zones[name] { return cached }
        let zone = TimeZone(identifier: name)
        zones[name] = zone
        return zone
    }

    // MARK: - Shared checks

    /// A deliberately simple check: one `@`, something on both sides, no spaces or line breaks.
    static func isPlausibleAddress(_ address: String) -> Bool {
        // On scalars, not `Character`s: this runs for every contact of a large file.
        var ats = 0
        var atIndex = 0
        var dotAfterAt = false
        for (index, scalar) in address.unicodeScalars.enumerated() {
            switch scalar {
            case "@":
                ats += 1
                atIndex = index
            case ".": if ats == 1 { dotAfterAt = true }
            case "<", ">", ",": return false
            // Printable ASCII is never whitespace: Unicode's properties (a table lookup, 2.5%
            // of a full plan's time) only for the rest.
            case "!"..."~": continue
            default: if scalar.properties.isWhitespace { return false }
            }
        }
        return ats == 1 && atIndex > 0 && dotAfterAt
    }

    /// Parses an ISO 8601 date-time with offset, or a date alone (midnight in `timeZone`).
    static func parseInstant(_ text: String, timeZone: TimeZone) -> Date? {
        let text = text.trimmingWhitespace()
        if let date = parseSimpleISO8601(text) { return date }
        // A date alone (the common case in exports) is no ISO 8601 instant: skip trying those.
        if text.utf8.count == 10, let local = LocalDate(parsing: text) {
            return local.start(in: timeZone)
        }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        if let local = LocalDate(parsing: text) {
            return local.start(in: timeZone)
        }
        return nil
    }
}
