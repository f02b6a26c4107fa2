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
    private let renderer: Renderer
    private let policy: Policy
    private let state: PlanningState
    private let chunk: Int
    private let dryRun: Bool
    private let renderBy: Date
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
        self.renderer = renderer
        self.policy = policy
        self.state = state
        self.chunk = chunk
        self.dryRun = dryRun
        // Rendering is most of a plan's work; a message due later than this is rendered by a
        // later plan, from the data as it is then.
        renderBy = now.addingTimeInterval(Double(policy.renderAheadHours) * 3_600)
        writer = PlanWriter(store: store, actor: "planner", at: now)
    }

    deinit { writer.drain() }

    /// Renders what `piece` adds or changes and hands full chunks to the writer; a chunk that
    /// failed to be stored before throws here.
    func store(_ piece: PlanDiff) throws {
        counts.add(piece.counts)
        changes.retimings += piece.retimings
        changes.cancellations += piece.cancellations
        changes.skips += piece.skips
        for planned in piece.additions {
            if planned.dueAt > renderBy, !requiresApproval(planned) {
                try add(
                    NewMessage(
                        planned: planned, content: renderer.unrendered(planned), requiresApproval: false,
                        maxLateness: policy.maxLateness(for: planned.rule)))
                continue
            }
            do {
                let content = try renderer.render(planned)
                try add(
                    NewMessage(
                        planned: planned, content: content, requiresApproval: requiresApproval(planned),
                        maxLateness: policy.maxLateness(for: planned.rule)))
            } catch let error as RenderError {
                renderErrors.append(error)
            }
        }
        let retimed = Dictionary(piece.retimings.map { ($0.id, $0.dueAt) }, uniquingKeysWith: { _, last in last })
        for planned in piece.unchanged {
            var current = planned
            if let dueAt = retimed[planned.id] { current.dueAt = dueAt }
            try refresh(current)
        }
    }

    /// Stores what is left and waits for every chunk: the counts of all of them.
    func finish() throws -> ApplySummary {
        try flush(whenAtLeast: 0)
        return try writer.finish()
    }

    /// Renders an open message again when it is stored unrendered and now due within the
    /// window, or when the data behind its content changed.
    private func refresh(_ current: PlannedMessage) throws {
        if let storedDue = state.unrenderedDue[current.id] {
            // Stored unrendered: rendered once it is due within the window (an operator may
            // have made it due sooner than planned).
            guard min(storedDue, current.dueAt) <= renderBy || requiresApproval(current) else { return }
            do {
                changes.renders.append((current.id, try renderer.render(current)))
                try flush(whenAtLeast: chunk)
            } catch let error as RenderError {
                renderErrors.append(error)
            }
            return
        }
        // Most open messages are unchanged: their digest says so without rendering them.
        guard let stored = state.sourceHashes[current.id]?.text, renderer.sourceHash(current) != stored else { return }
        do {
            let content = try renderer.render(current)
            if content.sourceHash != stored {
                changes.refreshes.append((current.id, content))
                try flush(whenAtLeast: chunk)
            }
        } catch let error as RenderError {
            renderErrors.append(error)
        }
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

    private func requiresApproval(_ planned: PlannedMessage) -> Bool {
        switch planned.rule.kind {
        case .checkin: policy.checkin.requiresApproval
        case .progress: policy.progress.requiresApproval
        case .promotion: planned.campaign?.requiresApproval ?? true
        }
    }
}
