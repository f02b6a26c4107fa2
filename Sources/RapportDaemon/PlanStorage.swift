import Foundation
import RapportCore
import RapportStore

/// Renders a plan's messages and stores them, piece by piece as the planner hands them over.
///
/// New messages due within the render window (and those needing approval) are rendered; the
/// others are stored unrendered, rendered by a later plan from the data as it is then. Open
/// messages are re-rendered only when their source digest changed. What a piece changes is
/// gathered into chunks of `chunk` messages, each stored in one transaction by a
/// ``PlanWriter`` while the next is rendered.
final class PlanStorage {
    private let rendering: PlanRendering
    private let chunk: Int
    private let dryRun: Bool
    private let writer: PlanWriter
    private var changes = OutboxChanges()
    /// Messages that could not be rendered, in the order met.
    private(set) var renderErrors: [RenderError] = []
    /// What the pieces stored so far planned.
    private(set) var counts = PlanCounts()

    /// - Parameter dryRun: render, but store nothing.
    init(
        renderer: Renderer, policy: Policy, state: PlanningState, store: any OutboxStore, now: Date, chunk: Int,
        dryRun: Bool
    ) {
        rendering = PlanRendering(renderer: renderer, policy: policy, state: state, now: now)
        self.chunk = chunk
        self.dryRun = dryRun
        writer = PlanWriter(store: store, actor: "planner", at: now)
    }

    deinit { writer.drain() }

    /// Renders what `piece` adds or changes and hands full chunks to the writer; a chunk that
    /// failed to be stored before throws here.
    ///
    /// Rendering is most of the work and each message's is its own: the messages are rendered
    /// on two threads (``Parallel/map(_:splittingFrom:_:)``), and stored in the plan's order.
    func store(_ piece: PlanDiff) throws {
        counts.add(piece.counts)
        changes.retimings += piece.retimings
        changes.cancellations += piece.cancellations
        changes.skips += piece.skips
        let rendering = rendering
        for added in Parallel.map(piece.additions, { rendering.newMessage($0) }) {
            switch added {
            case .success(let message): try add(message)
            case .failure(let error): renderErrors.append(error)
            }
        }
        let retimed = Dictionary(piece.retimings.map { ($0.id, $0.dueAt) }, uniquingKeysWith: { _, last in last })
        let current = piece.unchanged.map { planned in
            var current = planned
            if let dueAt = retimed[planned.id] { current.dueAt = dueAt }
            return current
        }
        for refresh in Parallel.map(current, { rendering.refresh(of: $0) }) {
            switch refresh {
            case .none: continue
            case .render(let id, let content): changes.renders.append((id, content))
            case .refresh(let id, let content): changes.refreshes.append((id, content))
            case .failed(let error): renderErrors.append(error)
            }
            try flush(whenAtLeast: chunk)
        }
    }

    /// Stores what is left and waits for every chunk: the counts of all of them.
    func finish() throws -> ApplySummary {
        try flush(whenAtLeast: 0)
        return try writer.finish()
    }

    private func add(_ message: NewMessage) throws {
        changes.insertions.append(message)
        try flush(whenAtLeast: chunk)
    }

    private func flush(whenAtLeast size: Int) throws {
        guard changes.insertions.count + changes.refreshes.count + changes.renders.count >= size else { return }
        if !dryRun, !changes.isEmpty {
            try writer.submit(changes)
        }
        changes = OutboxChanges()
    }
}

/// What a plan renders, message by message: nothing here changes, so messages can be rendered
/// side by side.
struct PlanRendering: Sendable {
    let renderer: Renderer
    let policy: Policy
    let state: PlanningState
    /// Rendering is most of a plan's work; a message due later than this is rendered by a
    /// later plan, from the data as it is then.
    let renderBy: Date

    init(renderer: Renderer, policy: Policy, state: PlanningState, now: Date) {
        self.renderer = renderer
        self.policy = policy
        self.state = state
        renderBy = now.addingTimeInterval(Double(policy.renderAheadHours) * 3_600)
    }

    /// What an open message needs after a plan that keeps it.
    enum Refresh: Sendable {
        /// Nothing: its content is still what the data gives, or it is not due to be rendered.
        case none
        /// Stored unrendered and now due within the window: its first content.
        case render(id: String, MessageContent)
        /// The data behind its content changed: its new content.
        case refresh(id: String, MessageContent)
        case failed(RenderError)
    }

    /// A new message as it is stored: rendered when due within the window or awaiting
    /// approval, else unrendered (rendered by a later plan).
    func newMessage(_ planned: PlannedMessage) -> Result<NewMessage, RenderError> {
        let approval = requiresApproval(planned)
        let maxLateness = policy.maxLateness(for: planned.rule)
        guard planned.dueAt <= renderBy || approval else {
            return .success(
                NewMessage(
                    planned: planned, content: renderer.unrendered(planned), requiresApproval: false,
                    maxLateness: maxLateness))
        }
        return Result { () throws(RenderError) in
            NewMessage(
                planned: planned, content: try renderer.render(planned), requiresApproval: approval,
                maxLateness: maxLateness)
        }
    }

    /// Renders an open message again when it is stored unrendered and now due within the
    /// window, or when the data behind its content changed.
    func refresh(of current: PlannedMessage) -> Refresh {
        do throws(RenderError) {
            if let storedDue = state.unrenderedDue[current.id] {
                // Stored unrendered: rendered once it is due within the window (an operator may
                // have made it due sooner than planned).
                guard min(storedDue, current.dueAt) <= renderBy || requiresApproval(current) else { return .none }
                return .render(id: current.id, try renderer.render(current))
            }
            // Most open messages are unchanged: their digest says so without rendering them.
            guard let stored = state.sourceHashes[current.id]?.text, renderer.sourceHash(current) != stored else {
                return .none
            }
            let content = try renderer.render(current)
            return content.sourceHash != stored ? .refresh(id: current.id, content) : .none
        } catch {
            return .failed(error)
        }
    }

    private func requiresApproval(_ planned: PlannedMessage) -> Bool {
        switch planned.rule.kind {
        case .checkin: policy.checkin.requiresApproval
        case .progress: policy.progress.requiresApproval
        case .promotion: planned.campaign?.requiresApproval ?? true
        }
    }
}
