import Synchronization

/// Lets one caller wait until `count` pieces of work have signalled (the appends its step asked
/// for, each with what followed from it); the wait also ends when the waiting task is
/// cancelled (the work goes on).
final class DoneSignal: Sendable {
    private struct State {
        var remaining: Int
        var waiter: CheckedContinuation<Void, Never>?
        /// All signalled, or the waiter gave up: a wait returns at once.
        var over = false
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(remaining: count, over: count <= 0))
    }

    func signal() {
        finish { $0.remaining -= 1; return $0.remaining <= 0 }
    }

    /// Returns once every piece has signalled, or at once if the task is (or gets) cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state in
                    if state.over || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            finish { _ in true }
        }
    }

    private func finish(when done: (inout State) -> Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard done(&state) else { return nil }
            state.over = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
