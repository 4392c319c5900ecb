/// An id → slot index for the packed records: an open-addressing hash table (linear probing)
/// whose buckets hold only a slot number, 4 bytes each; the id itself is read from the record
/// the slot points at.
///
/// A `Dictionary<ExecutionID, UInt32>` keeps the 16-byte key in every bucket and, at a million
/// entries, runs at half load: ~40 B per execution. This runs at most 3/4 full with 4-byte
/// buckets: ~8 B per execution. Removal shifts the following run back (no tombstones), so
/// lookups never slow down as executions come and go.
struct SlotIndex: Sendable {
    /// `slot + 1` per bucket, 0 when empty. The count is a power of two.
    private var buckets: [UInt32] = []
    private(set) var count = 0

    /// The slot of `id`, reading ids through `idAt`.
    func slot(of id: ExecutionID, idAt: (Int) -> ExecutionID) -> Int? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var bucket = Self.hash(id) & mask
        while buckets[bucket] != 0 {
            let slot = Int(buckets[bucket] - 1)
            if idAt(slot) == id { return slot }
            bucket = (bucket + 1) & mask
        }
        return nil
    }

    /// Adds `id` at `slot` (the caller knows it is absent).
    mutating func insert(_ id: ExecutionID, slot: Int, idAt: (Int) -> ExecutionID) {
        if (count + 1) * 4 > buckets.count * 3 { grow(idAt: idAt) }
        place(id, slot: slot)
        count += 1
    }

    /// Points `id` (present) at a new slot.
    mutating func move(_ id: ExecutionID, to slot: Int, idAt: (Int) -> ExecutionID) {
        let bucket = self.bucket(of: id, idAt: idAt)!
        buckets[bucket] = UInt32(slot + 1)
    }

    /// Removes `id` (present); the entries after it in its run shift back so none is orphaned.
    mutating func remove(_ id: ExecutionID, idAt: (Int) -> ExecutionID) {
        guard var hole = bucket(of: id, idAt: idAt) else { return }
        let mask = buckets.count - 1
        buckets[hole] = 0
        count -= 1
        var next = (hole + 1) & mask
        while buckets[next] != 0 {
            let home = Self.hash(idAt(Int(buckets[next] - 1))) & mask
            // Move it into the hole if its home is not between the hole and where it sits.
            let between = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !between {
                buckets[hole] = buckets[next]
                buckets[next] = 0
                hole = next
            }
            next = (next + 1) & mask
        }
    }

    private func bucket(of id: ExecutionID, idAt: (Int) -> ExecutionID) -> Int? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var bucket = Self.hash(id) & mask
        while buckets[bucket] != 0 {
            if idAt(Int(buckets[bucket] - 1)) == id { return bucket }
            bucket = (bucket + 1) & mask
        }
        return nil
    }

    private mutating func place(_ id: ExecutionID, slot: Int) {
        let mask = buckets.count - 1
        var bucket = Self.hash(id) & mask
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = UInt32(slot + 1)
    }

    private mutating func grow(idAt: (Int) -> ExecutionID) {
        let old = buckets
        buckets = [UInt32](repeating: 0, count: max(16, old.count * 2))
        for entry in old where entry != 0 {
            let slot = Int(entry - 1)
            place(idAt(slot), slot: slot)
        }
    }

    /// A well-mixed hash of the 16 bytes (ids may be sequential or share a prefix).
    static func hash(_ id: ExecutionID) -> Int {
        Int(truncatingIfNeeded: mix(mix(id.high) ^ id.low))
    }

    /// SplitMix64's finalizer: every input bit affects every output bit.
    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }
}
