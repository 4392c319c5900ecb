/// A cluster's 64-bit id on the wire: FNV-1a of its configured name.
///
/// Stable across processes and platforms (unlike `Hasher`), so every node of a cluster agrees, and
/// datagrams from a neighbouring cluster sharing the port range are dropped as `wrong_cluster`.
public struct ClusterID: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// The id of the cluster called `name`.
    public init(name: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        self.rawValue = hash
    }

    public var description: String { String(rawValue, radix: 16) }
}
