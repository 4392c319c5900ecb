import Synchronization

/// Resumes one waiter once `count` pieces of work have signalled (the appends a caller's step
/// asked for, each with what followed from it).
final class DoneSignal: Sendable {
    private let state: Mutex<(remaining: Int, waiter: CheckedContinuation<Void, Never>?)>

    init(count: Int, waiter: CheckedContinuation<Void, Never>) {
        state = Mutex((count, waiter))
        if count == 0 { finishNow() }
    }

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.remaining -= 1
            guard state.remaining <= 0 else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    private func finishNow() {
        let waiter = state.withLock { state in
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
