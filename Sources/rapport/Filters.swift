import ArgumentParser
import Foundation
import RapportCore
import RapportStore

extension MessageState: ExpressibleByArgument {}
extension ContactKind: ExpressibleByArgument {}
extension Channel: ExpressibleByArgument {}

/// A point in time as typed: ISO 8601 (`2026-12-01T09:00:00Z`, `2026-12-01`) or relative to
/// now (`24h`, `-2d`, `90m`, `1w`, `now`).
struct TimeArgument: ExpressibleByArgument {
    enum Value {
        case absolute(Date)
        case relative(TimeInterval)
    }

    var value: Value

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "now" {
            value = .relative(0)
            return
        }
        if let date = try? Date(argument, strategy: .iso8601) {
            value = .absolute(date)
            return
        }
        if let day = LocalDate(parsing: argument) {
            value = .absolute(day.start(in: .gmt))
            return
        }
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        guard let unit = text.last, let seconds = units[unit], let amount = Double(text.dropLast()) else {
            return nil
        }
        value = .relative(amount * seconds)
    }

    func resolve(now: Date) -> Date {
        switch value {
        case .absolute(let date): date
        case .relative(let offset): now.addingTimeInterval(offset)
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

/// The options that select messages, shared by `queue` and the bulk form of every action.
struct MessageFilterOptions: ParsableArguments {
    @Option(name: .long, help: "Only messages in this state (repeatable).")
    var state: [MessageState] = []

    @Option(help: "Only messages to clients or to customers.")
    var kind: ContactKind?

    @Option(help: "Only this rule: checkin, progress, promotion, or an exact rule such as progress:p-11.")
    var rule: String?

    @Option(help: "Only this campaign's promotions.")
    var campaign: String?

    @Option(help: "Only messages to this contact id.")
    var contact: String?

    @Option(help: "Only messages to clients of this account manager (name as in the data).")
    var manager: String?

    @Option(help: "Only email or webhook messages.")
    var channel: Channel?

    @Option(help: "Only messages due before this time (ISO 8601, or relative: 24h, 7d, -1h).")
    var dueBefore: TimeArgument?

    @Option(help: "Only messages due at or after this time (ISO 8601, or relative).")
    var dueAfter: TimeArgument?

    /// Whether any criterion was given.
    var isEmpty: Bool {
        state.isEmpty && kind == nil && rule == nil && campaign == nil && contact == nil && manager == nil
            && channel == nil && dueBefore == nil && dueAfter == nil
    }

    func validate() throws {
        if let rule, RuleKind(rawValue: rule) == nil, RuleID(parsing: rule) == nil {
            throw ValidationError("--rule: '\(rule)' is not checkin, progress, promotion or a rule like progress:ID")
        }
        if rule != nil && campaign != nil {
            throw ValidationError("--rule and --campaign: give one of them")
        }
    }

    func filter(now: Date, limit: Int? = nil) -> MessageFilter {
        var filter = MessageFilter(
            states: Set(state), kind: kind, contactID: contact, channel: channel, accountManager: manager,
            dueAfter: dueAfter?.resolve(now: now), dueBefore: dueBefore?.resolve(now: now), limit: limit)
        if let rule {
            if let kind = RuleKind(rawValue: rule) {
                filter.ruleKind = kind
            } else {
                filter.rule = RuleID(parsing: rule)
            }
        }
        if let campaign { filter.rule = .campaign(campaign) }
        return filter
    }
}

/// How a listing is printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table
    case json
    case csv
}

/// `--format table|json|csv`, with `--json` as a shorthand.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: table (for people), json or csv (for scripts).")
    var format: OutputFormat = .table

    @Flag(help: "Same as --format json.")
    var json = false

    var resolved: OutputFormat { json ? .json : format }
}
