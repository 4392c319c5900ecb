/// Who a gossip peer is: its configured id plus a generation that grows at every start.
///
/// A restarted node (same id, higher generation, maybe a new address) replaces its old
/// incarnation at once; anything from a lower generation is stale.
public struct NodeIdentity: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var id: String
    public var generation: UInt64

    public init(id: String, generation: UInt64) {
        self.id = id
        self.generation = generation
    }

    /// Whether `self` is a newer incarnation of the same node than `other`.
    public func supersedes(_ other: NodeIdentity) -> Bool {
        id == other.id && generation > other.generation
    }

    public static func < (lhs: NodeIdentity, rhs: NodeIdentity) -> Bool {
        (lhs.id, lhs.generation) < (rhs.id, rhs.generation)
    }

    public var description: String { "\(id)#\(generation)" }
}
