/// The id of one job execution: a UUID, held as 16 bytes.
///
/// Parsed from the canonical 36-character text form (`8-4-4-4-12` hex digits, any case) and
/// always printed in lowercase. Anything else is rejected with the seed's message
/// `Invalid execution_id format`.
public struct ExecutionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public let high: UInt64
    /// The last 8 bytes, big-endian.
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The "max UUID" (`ffffffff-ffff-ffff-ffff-ffffffffffff`, RFC 9562), which no UUID
    /// generator produces: the key under which each node gossips facts about itself (its gossip
    /// keyring's fingerprints). The API refuses it as an execution id.
    public static let reserved = ExecutionID(high: .max, low: .max)

    /// Parses the canonical text form; `nil` for anything else.
    public init?(_ text: String) {
        var text = text
        let parsed: (UInt64, UInt64)? = text.withUTF8 { ExecutionID.parse($0) }
        guard let (high, low) = parsed else { return nil }
        self.init(high: high, low: low)
    }

    /// Reads 16 raw bytes (the wire and store form).
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(b) } else { low = low << 8 | UInt64(b) }
        }
        self.init(high: high, low: low)
    }

    private static func parse(_ utf8: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        guard utf8.count == 36 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var nibbles = 0
        for (i, c) in utf8.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else { return nil }
                continue
            }
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
            if nibbles < 16 { high = high << 4 | UInt64(v) } else { low = low << 4 | UInt64(v) }
            nibbles += 1
        }
        return (high, low)
    }

    /// The 16 raw bytes, big-endian.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i)))
            out[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i)))
        }
        return out
    }

    /// Canonical lowercase text form.
    public var description: String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for i in 0..<32 {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            let word = i < 16 ? high : low
            let shift = UInt64(60 - 4 * (i % 16))
            out.append(hex[Int((word >> shift) & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func < (lhs: ExecutionID, rhs: ExecutionID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
