import CoordinatorCore
import Store

extension RecordType {
    /// The store record type a core ``DurableKind`` is written as (the same raw value).
    public init(_ kind: DurableKind) {
        self.init(rawValue: kind.rawValue)
    }

    /// The record's name as the coordinator calls it (``DurableKind/name``; the store's own
    /// `snapshot`; `type_<byte>` for a byte nobody names).
    public var name: String { DurableKind(self)?.name ?? description }
}

extension DurableKind {
    /// The core's kind of a store record; `nil` for records the core does not interpret
    /// (snapshots, unknown types).
    public init?(_ type: RecordType) {
        self.init(rawValue: type.rawValue)
    }
}

extension ExecutionFact {
    /// Decodes a stored record as an execution fact; `nil` for other records or damaged payloads.
    public init?(type: RecordType, payload: [UInt8]) {
        guard let kind = DurableKind(type) else { return nil }
        self.init(kind: kind, payload: payload)
    }
}
