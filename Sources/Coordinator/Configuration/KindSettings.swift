import CoordinatorCore

/// One entry of the cluster file's `kinds` (issue 24): a named rule for the executions that ask
/// for it (`"kind": "etl"` on their registration or first heartbeat). A value left out (zero
/// here) is the `executions` section's for the timeout and the strikes, and off for the
/// progress and runtime limits. The check interval stays cluster-wide.
public struct KindSettings: Sendable, Equatable {
    /// The kind's name: 1-64 ASCII letters, digits, '-', '_' or '.'.
    public var name: String
    /// A heartbeat older than this is a strike; zero: `executions.heartbeat_timeout_s`.
    public var heartbeatTimeout: Duration = .zero
    /// Strikes in a row that mark FAILED; zero: `executions.max_strikes`.
    public var maxStrikes = 0
    /// Heartbeats without a change of progress for this long make the execution stalled; zero: off.
    public var progressTimeout: Duration = .zero
    /// A running execution older than this (since registration) is FAILED; zero: off.
    public var maxRuntime: Duration = .zero
    /// A stall fails the execution instead of only warning.
    public var failWhenStalled = false

    public init(name: String) {
        self.name = name
    }

    /// The kind's rule, the `executions` section filling what it leaves out.
    public func rule(base: SweepRule) -> ExecutionRule {
        ExecutionRule(
            kind: name, heartbeatTimeoutMs: heartbeatTimeout == .zero ? base.heartbeatTimeoutMs : heartbeatTimeout.wholeMilliseconds,
            maxStrikes: maxStrikes == 0 ? base.maxStrikes : maxStrikes, progressTimeoutMs: progressTimeout.wholeMilliseconds,
            maxRuntimeMs: maxRuntime.wholeMilliseconds, failWhenStalled: failWhenStalled
        )
    }
}

extension VigilConfiguration {
    /// The kinds, resolved against the `executions` section (after the environment's overrides).
    public var ruleCatalog: RuleCatalog {
        let base = SweepRule(executions)
        var kinds: [String: ExecutionRule] = [:]
        for kind in self.kinds { kinds[kind.name] = kind.rule(base: base) }
        return RuleCatalog(kinds: kinds, defaultKind: defaultKind, base: base)
    }
}
