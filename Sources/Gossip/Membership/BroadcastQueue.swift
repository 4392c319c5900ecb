/// Membership updates waiting to be piggybacked, each sent a bounded number of times.
///
/// SWIM disseminates by infection: every datagram carries a few updates. An update is sent at most
/// `limit` times (λ·⌈log₁₀(N+1)⌉, growing with the cluster), least-sent first, and a newer claim
/// about the same node replaces an older one with its count reset.
struct BroadcastQueue: Sendable {
    private(set) var items: [String: Item] = [:]
    private var stamp: UInt64 = 0

    struct Item: Sendable {
        var update: MemberUpdate
        var transmits: Int
        /// Insertion order, newest highest, to break ties.
        var stamp: UInt64
    }

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }

    /// Queues `update`, replacing any pending claim about the same node — except that suspicions
    /// by different suspectors coexist, since each is an independent confirmation (Lifeguard).
    mutating func enqueue(_ update: MemberUpdate) {
        stamp += 1
        let id = update.identity.id
        if update.status != .suspect {
            for (key, item) in items where item.update.identity.id == id { items[key] = nil }
        } else {
            for (key, item) in items where item.update.identity.id == id && item.update.status != .suspect { items[key] = nil }
        }
        items[Self.key(update)] = Item(update: update, transmits: 0, stamp: stamp)
    }

    static func key(_ update: MemberUpdate) -> String {
        update.status == .suspect ? update.identity.id + "\u{0}" + (update.suspector ?? "") : update.identity.id
    }

    /// Takes updates for one datagram: least-sent first, newest first among equals, while
    /// `fits(update)` accepts them. Each taken update counts one transmission and leaves the queue
    /// at `limit`.
    mutating func take(limit: Int, excluding excluded: String?, fits: (MemberUpdate) -> Bool) -> [MemberUpdate] {
        guard !items.isEmpty else { return [] }
        let ordered = items.values.sorted { ($0.transmits, -Int64(bitPattern: $0.stamp)) < ($1.transmits, -Int64(bitPattern: $1.stamp)) }
        var taken: [MemberUpdate] = []
        for item in ordered where item.update.identity.id != excluded {
            guard fits(item.update) else { break }
            taken.append(item.update)
            let key = Self.key(item.update)
            items[key]!.transmits += 1
            if items[key]!.transmits >= limit { items[key] = nil }
        }
        return taken
    }
}
