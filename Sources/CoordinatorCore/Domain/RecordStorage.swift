/// Dense storage for execution records: an id → slot index plus a contiguous array of records.
///
/// A `Dictionary<ExecutionID, ExecutionRecord>` stores each 64-byte record inside its hash
/// buckets, which run up to half empty: ~170 B per execution before any payload. Here the
/// buckets hold only a 4-byte slot number (~42 B per execution at a million) and the records
/// sit packed in an array. Removal moves the last record into the hole, so there are no gaps.
struct RecordStorage: Sendable {
    private var index: [ExecutionID: UInt32] = [:]
    /// The records, packed. Callers may change a record in place but never its `id`.
    var values: [ExecutionRecord] = []

    var count: Int { values.count }

    subscript(id: ExecutionID) -> ExecutionRecord? {
        get { index[id].map { values[Int($0)] } }
        set {
            if let newValue {
                if let slot = index[id] {
                    values[Int(slot)] = newValue
                } else {
                    index[id] = UInt32(values.count)
                    values.append(newValue)
                }
            } else {
                removeValue(forKey: id)
            }
        }
    }

    /// Replaces the record, returning the previous one.
    @discardableResult
    mutating func updateValue(_ record: ExecutionRecord, forKey id: ExecutionID) -> ExecutionRecord? {
        if let slot = index[id] {
            let old = values[Int(slot)]
            values[Int(slot)] = record
            return old
        }
        self[id] = record
        return nil
    }

    @discardableResult
    mutating func removeValue(forKey id: ExecutionID) -> ExecutionRecord? {
        guard let slot = index.removeValue(forKey: id) else { return nil }
        let removed = values[Int(slot)]
        let last = values.removeLast()
        if Int(slot) < values.count {
            values[Int(slot)] = last
            index[last.id] = slot
        }
        return removed
    }
}
