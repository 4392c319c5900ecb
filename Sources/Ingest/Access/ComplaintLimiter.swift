/// Decides which refused requests are logged: at most one line per client address per window
/// (a minute), so a misconfigured or hostile client cannot flood the log. Pure: `now` comes in.
/// Remembers at most ``capacity`` addresses; the oldest are forgotten first.
public struct ComplaintLimiter: Sendable {
    public let windowMs: Int64
    public let capacity: Int
    private var lastLogged: [String: Int64] = [:]
    /// Refusals not logged since the address's last line, reported with its next line.
    private var suppressed: [String: Int] = [:]

    public init(windowMs: Int64 = 60_000, capacity: Int = 4_096) {
        self.windowMs = windowMs
        self.capacity = capacity
    }

    /// Whether to log a refusal from `address` now; when yes, also how many were not logged
    /// since the last line.
    public mutating func shouldLog(_ address: String, nowMs: Int64) -> (log: Bool, suppressed: Int) {
        if let last = lastLogged[address], nowMs - last < windowMs {
            suppressed[address, default: 0] += 1
            return (false, 0)
        }
        if lastLogged.count >= capacity { forgetOldest(nowMs: nowMs) }
        lastLogged[address] = nowMs
        return (true, suppressed.removeValue(forKey: address) ?? 0)
    }

    private mutating func forgetOldest(nowMs: Int64) {
        // First whatever is past its window; if that frees nothing, the oldest half.
        lastLogged = lastLogged.filter { nowMs - $0.value < windowMs }
        if lastLogged.count >= capacity {
            let keep = lastLogged.sorted { $0.value > $1.value }.prefix(capacity / 2)
            lastLogged = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
        suppressed = suppressed.filter { lastLogged[$0.key] != nil }
    }
}
