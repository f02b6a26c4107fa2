import Foundation
import RapportCore

/// An operator's decision about a message.
public enum OperatorAction: Sendable, Hashable {
    /// Let a message that needs approval be sent.
    case approve
    /// Keep a message from being sent until released.
    case hold
    /// Undo a hold.
    case release
    /// Withdraw a message that has not been sent.
    case cancel
    /// Move a message's due time.
    case reschedule(Date)
    /// Make a message due at once.
    case sendNow
    /// Try a failed message again, with a fresh attempt budget.
    case retry

    /// The action's name, as typed and as recorded in the audit trail.
    public var name: String {
        switch self {
        case .approve: "approve"
        case .hold: "hold"
        case .release: "release"
        case .cancel: "cancel"
        case .reschedule: "reschedule"
        case .sendNow: "send-now"
        case .retry: "retry"
        }
    }

    /// What the CLI prints after doing it: "approved", "rescheduled"…
    public var pastTense: String {
        switch self {
        case .approve: "approved"
        case .hold: "held"
        case .release: "released"
        case .cancel: "cancelled"
        case .reschedule: "rescheduled"
        case .sendNow: "due now"
        case .retry: "retrying"
        }
    }

    /// The states the action applies to. Anything in flight (`sending`) or final is refused,
    /// except `retry`, which exists for `failed` messages.
    public var allowedStates: Set<MessageState> {
        switch self {
        case .approve: [.pendingApproval]
        case .hold: [.pendingApproval, .scheduled, .retryWait]
        case .release: [.held]
        case .cancel, .reschedule: [.pendingApproval, .scheduled, .retryWait, .held]
        // A message awaiting approval is refused with "it needs approval first".
        case .sendNow: [.pendingApproval, .scheduled, .retryWait, .held]
        case .retry: [.failed]
        }
    }
}
