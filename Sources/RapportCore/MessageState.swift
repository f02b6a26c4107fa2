/// Where a message is in its life. Every change is one transaction in the store.
///
/// ```
/// pending_approval ─approve─▶ scheduled ─claim─▶ sending ─▶ sent
///        │                      ▲   │               │
///        └──hold──▶ held ─release┘   │               ├─▶ retry_wait ─(due)─▶ sending
///                                    │               └─▶ failed
///        cancel (operator or planner) ─▶ cancelled;  skipped (capped promotion, stale)
/// ```
public enum MessageState: String, Sendable, Codable, CaseIterable {
    case pendingApproval = "pending_approval"
    case scheduled
    case sending
    case retryWait = "retry_wait"
    case sent
    case held
    case cancelled
    case skipped
    case failed

    /// States a message never leaves.
    public var isFinal: Bool {
        switch self {
        case .sent, .cancelled, .skipped, .failed: true
        default: false
        }
    }

    /// States the planner may re-time, refresh or cancel: not yet in flight, not yet final.
    public var isOpen: Bool {
        switch self {
        case .pendingApproval, .scheduled, .held, .retryWait: true
        default: false
        }
    }
}

/// What kind of rule planned a message.
public enum RuleKind: String, Sendable, Codable {
    case checkin
    case progress
    case promotion
}

/// The rule (and its subject) behind a message, written `checkin`, `progress:<project id>` or
/// `campaign:<name>`.
public struct RuleID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: RuleKind
    /// The project id for progress reports, the campaign name for promotions.
    public var subject: String?

    public static let checkin = RuleID(kind: .checkin, subject: nil)

    public static func progress(project: String) -> RuleID { RuleID(kind: .progress, subject: project) }
    public static func campaign(_ name: String) -> RuleID { RuleID(kind: .promotion, subject: name) }

    public init(kind: RuleKind, subject: String?) {
        self.kind = kind
        self.subject = subject
    }

    public init?(parsing text: String) {
        if text == "checkin" {
            self = .checkin
        } else if text.hasPrefix("progress:") {
            self = .progress(project: String(text.dropFirst("progress:".count)))
        } else if text.hasPrefix("campaign:") {
            self = .campaign(String(text.dropFirst("campaign:".count)))
        } else {
            return nil
        }
    }

    public var description: String {
        switch kind {
        case .checkin: "checkin"
        case .progress: "progress:\(subject ?? "")"
        case .promotion: "campaign:\(subject ?? "")"
        }
    }

    public static func < (lhs: RuleID, rhs: RuleID) -> Bool { lhs.description < rhs.description }
}
