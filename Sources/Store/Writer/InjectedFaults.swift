/// Faults a test makes the writer show, as a network filesystem would (test-only: set through
/// `FileStore.inject(_:)`, which is internal; nothing else sets any, and an unfaulted write pays
/// one uncontended lock for the check).
struct InjectedFaults: Sendable {
    /// What one write does wrong.
    enum Write: Sendable, Equatable {
        /// The batch reaches the file and is fsynced, then the write is reported failed
        /// (GlusterFS answering ENOTCONN after its server took the data).
        case landThenFail
        /// The batch reaches the file twice (a retransmitted write), then it is reported failed.
        case landTwiceThenFail
        /// Only the first `bytes` of the batch reach the file, then the write is reported failed.
        case tearThenFail(bytes: Int)
    }

    /// The next writes' faults, in order (one each).
    var writes: [Write] = []
    /// Tail re-reads that fail before one succeeds (the mount is still unreachable).
    var failingTailReads = 0

    static func error(_ operation: String, path: String) -> StoreError {
        StoreError(code: .io, path: path, detail: "\(operation): Transport endpoint is not connected (errno 107, injected)")
    }
}
