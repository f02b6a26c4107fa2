import Foundation

/// How a contact wants to be written to: their channel, their language, and for clients the
/// day and time their check-ins should come.
///
/// Preferences come from the relationship data (`channel`, `language`, `checkin_day`,
/// `checkin_time`) and override the rules: a client who prefers webhooks gets their check-ins
/// by webhook whatever `rules.checkin.channel` says; a contact who prefers `none` is planned
/// nothing at all.
public struct ContactPreferences: Sendable, Hashable {
    /// The channel a contact prefers.
    public enum ChannelPreference: String, Sendable, Hashable, CaseIterable {
        case email
        case webhook
        /// No automatic messages of any kind.
        case none

        /// The channel to use, or `nil` for none.
        public var channel: Channel? {
            switch self {
            case .email: .email
            case .webhook: .webhook
            case .none: nil
            }
        }
    }

    // Stored widest first, so the one-byte fields share the tail (49 -> 35 bytes inline).
    /// A BCP 47 language tag such as `fr` or `pt-BR`, lower-cased; `nil`: the default templates.
    public var language: String?
    /// A client's preferred local time for check-ins.
    public var checkinTime: LocalTime?
    /// `nil`: whatever each rule says.
    public var channel: ChannelPreference?
    /// A client's preferred weekday for check-ins.
    public var checkinDay: Weekday?

    public init(
        channel: ChannelPreference? = nil, language: String? = nil, checkinDay: Weekday? = nil,
        checkinTime: LocalTime? = nil
    ) {
        self.channel = channel
        self.language = language
        self.checkinDay = checkinDay
        self.checkinTime = checkinTime
    }

    /// The language and its fallbacks, most specific first: `pt-br`, then `pt`.
    public var languageFallbacks: [String] {
        guard let language else { return [] }
        let parts = language.split(separator: "-")
        return (1...parts.count).reversed().map { parts.prefix($0).joined(separator: "-") }
    }

    /// Whether `text` is a plausible BCP 47 tag: a 2–3 letter language, then subtags of 2–8
    /// letters or digits (`fr`, `pt-BR`, `zh-Hant-TW`).
    public static func isLanguageTag(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter })
        else { return false }
        return parts.dropFirst().allSatisfy { part in
            (2...8).contains(part.count) && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }
}
