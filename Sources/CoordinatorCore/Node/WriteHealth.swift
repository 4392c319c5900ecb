/// What this node's own durable writes showed lately: when the last one succeeded and when the
/// last one failed (the shell reports every write the core asks for, so the core knows). The
/// mass-failure guard reads it as "store writes succeeding" (``MonitorEvidence/storeFailure``).
public struct WriteHealth: Sendable, Equatable {
    /// Judge time of the latest write reported durable.
    public private(set) var lastSucceeded: JudgeTime?
    /// Judge time of the latest write reported failed, and what the store said.
    public private(set) var lastFailed: JudgeTime?
    public private(set) var lastFailure: String?

    public init() {}

    /// A write was reported durable at `now`.
    public mutating func succeeded(at now: JudgeTime) {
        lastSucceeded = max(lastSucceeded ?? now, now)
    }

    /// A write was reported failed at `now`, with what the store said.
    public mutating func failed(_ detail: String, at now: JudgeTime) {
        lastFailed = max(lastFailed ?? now, now)
        lastFailure = detail
    }

    /// What the store said, when the latest write reported within `recentMs` of `now` failed;
    /// `nil` when the latest succeeded, or no failure is that recent (an old failure followed by
    /// no write says nothing of the store now).
    public func failure(now: JudgeTime, recentMs: Int64) -> String? {
        guard let failed = lastFailed, now - failed <= recentMs else { return nil }
        if let succeeded = lastSucceeded, succeeded > failed { return nil }
        return lastFailure
    }
}
