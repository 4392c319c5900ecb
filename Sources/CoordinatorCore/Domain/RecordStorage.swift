/// Dense storage for execution records: an id → slot index plus a contiguous array of records.
///
/// A `Dictionary<ExecutionID, ExecutionRecord>` stores each 64-byte record inside its hash
/// buckets, which run up to half empty: ~170 B per execution before any payload. Here the
/// records sit packed in an array and the index (``SlotIndex``) holds only 4-byte slot
/// numbers (~8 B per execution). Removal moves the last record into the hole, so there are no gaps.
struct RecordStorage: Sendable {
    private var index = SlotIndex()
    /// The records, packed. Callers may change a record in place but never its `id`.
    var values: [ExecutionRecord] = []

    var count: Int { values.count }

    private func slot(_ id: ExecutionID) -> Int? {
        values.withUnsafeBufferPointer { records in index.slot(of: id) { records[$0].id } }
    }

    subscript(id: ExecutionID) -> ExecutionRecord? {
        get { slot(id).map { values[$0] } }
        set {
            if let newValue {
                if let slot = slot(id) {
                    values[slot] = newValue
                } else {
                    values.append(newValue)
                    let slot = values.count - 1
                    withIndex { index, records in index.insert(id, slot: slot) { records[$0].id } }
                }
            } else {
                removeValue(forKey: id)
            }
        }
    }

    /// Replaces the record, returning the previous one.
    @discardableResult
    mutating func updateValue(_ record: ExecutionRecord, forKey id: ExecutionID) -> ExecutionRecord? {
        if let slot = slot(id) {
            let old = values[slot]
            values[slot] = record
            return old
        }
        self[id] = record
        return nil
    }

    @discardableResult
    mutating func removeValue(forKey id: ExecutionID) -> ExecutionRecord? {
        guard let slot = slot(id) else { return nil }
        let removed = values[slot]
        withIndex { index, records in index.remove(id) { records[$0].id } }
        let last = values.removeLast()
        if slot < values.count {
            values[slot] = last
            withIndex { index, records in index.move(last.id, to: slot) { records[$0].id } }
        }
        return removed
    }

    /// Runs `body` on the index with the records readable, neither copied (the index is moved
    /// out for the call, so reading the records does not overlap its mutation).
    private mutating func withIndex(_ body: (inout SlotIndex, UnsafeBufferPointer<ExecutionRecord>) -> Void) {
        var moved = SlotIndex()
        swap(&moved, &index)
        values.withUnsafeBufferPointer { body(&moved, $0) }
        swap(&moved, &index)
    }
}
