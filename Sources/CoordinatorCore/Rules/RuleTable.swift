/// The distinct ``ExecutionRule``s a node's executions use, interned: a record holds a one-byte
/// index into this table (in what was its padding, so a rule costs a record no memory), index 0
/// being the cluster's default rule (no entry here). A few kinds with a few overrides make a
/// handful of entries; the table never shrinks.
///
/// At most ``capacity`` distinct rules: an execution whose rule would be the next is refused at
/// its registration (``NodeCore`` answers it as a ``RuleError`` on `monitor`) and, when learned
/// from another node, keeps the default rule (``dropped`` counts them).
public struct RuleTable: Sendable {
    /// Entry `i - 1` is the rule of index `i`.
    public private(set) var rules: [ExecutionRule] = []
    private var indexes: [ExecutionRule: UInt8] = [:]
    /// Rules learned that did not fit.
    public private(set) var dropped = 0

    public static let capacity = 255

    public init() {}

    /// The rule of an index (`nil`: index 0, the default).
    public subscript(index: UInt8) -> ExecutionRule? {
        index == 0 || Int(index) > rules.count ? nil : rules[Int(index) - 1]
    }

    /// Whether `rule` has, or can get, an index.
    public func fits(_ rule: ExecutionRule?) -> Bool {
        guard let rule else { return true }
        return indexes[rule] != nil || rules.count < Self.capacity
    }

    /// The index of `rule`, adding it when new; 0 for `nil`, and for a rule that does not fit.
    public mutating func intern(_ rule: ExecutionRule?) -> UInt8 {
        guard let rule else { return 0 }
        if let index = indexes[rule] { return index }
        guard rules.count < Self.capacity else {
            dropped += 1
            return 0
        }
        rules.append(rule)
        let index = UInt8(rules.count)
        indexes[rule] = index
        return index
    }
}

extension RuleTable {
    /// The index `rule` has now (0 when it has none yet, or is `nil`), without adding it.
    public func index(of rule: ExecutionRule?) -> UInt8 {
        guard let rule else { return 0 }
        return indexes[rule] ?? 0
    }
}
