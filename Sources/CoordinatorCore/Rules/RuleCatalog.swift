/// The kinds the cluster file names (`kinds`), resolved against the `executions` section, and how
/// a heartbeat's or registration's `kind` and `monitor` become an ``ExecutionRule``.
///
/// Resolution, field by field: the execution's `monitor` value, else its kind's, else the
/// `executions` section's (`heartbeat_timeout_s`, `max_strikes`; progress and runtime limits are
/// off unless set). No kind and no `monitor` means the `default_kind` when one is configured, and
/// otherwise no rule at all: the seed's behaviour, unchanged.
public struct RuleCatalog: Sendable, Equatable {
    /// The configured kinds by name, each resolved (its ``ExecutionRule/kind`` is its name).
    public var kinds: [String: ExecutionRule]
    /// The kind of executions that name none (`default_kind`); `nil`: the plain default rule.
    public var defaultKind: String?
    /// The `executions` section's rule.
    public var base: SweepRule

    public init(kinds: [String: ExecutionRule] = [:], defaultKind: String? = nil, base: SweepRule = SweepRule()) {
        self.kinds = kinds
        self.defaultKind = defaultKind
        self.base = base
    }

    /// The rule for a request's `kind` and `monitor`; `nil` when the execution gets the
    /// cluster's default rule (nothing asked, no default kind).
    public func resolve(kind: String?, monitor: RuleOverrides) throws(RuleError) -> ExecutionRule? {
        let name = kind ?? defaultKind
        var rule: ExecutionRule
        if let name {
            guard let known = kinds[name] else {
                let names = kinds.keys.sorted()
                throw RuleError(field: "kind", problem: "names no configured kind: \"\(name)\" (known: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
            }
            rule = known
        } else {
            guard !monitor.isEmpty else { return nil }
            rule = ExecutionRule(base)
        }
        if let v = monitor.heartbeatTimeoutMs { rule.heartbeatTimeoutMs = v }
        if let v = monitor.maxStrikes { rule.maxStrikes = v }
        if let v = monitor.progressTimeoutMs { rule.progressTimeoutMs = v }
        if let v = monitor.maxRuntimeMs { rule.maxRuntimeMs = v }
        if let v = monitor.failWhenStalled { rule.failWhenStalled = v }
        return rule
    }
}

/// An execution's own `monitor` object: each value it sets overrides its kind's.
public struct RuleOverrides: Sendable, Equatable {
    public var heartbeatTimeoutMs: Int64?
    public var maxStrikes: Int?
    public var progressTimeoutMs: Int64?
    public var maxRuntimeMs: Int64?
    public var failWhenStalled: Bool?

    public init(heartbeatTimeoutMs: Int64? = nil, maxStrikes: Int? = nil, progressTimeoutMs: Int64? = nil, maxRuntimeMs: Int64? = nil, failWhenStalled: Bool? = nil) {
        self.heartbeatTimeoutMs = heartbeatTimeoutMs
        self.maxStrikes = maxStrikes
        self.progressTimeoutMs = progressTimeoutMs
        self.maxRuntimeMs = maxRuntimeMs
        self.failWhenStalled = failWhenStalled
    }

    public var isEmpty: Bool { self == RuleOverrides() }
}

/// A `kind` or `monitor` value a request may not use: `field` names it (`kind`,
/// `monitor.max_strikes`); the ingest layer answers 400 with it.
public struct RuleError: Error, Equatable, CustomStringConvertible {
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(field) \(problem)" }
}
