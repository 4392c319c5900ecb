/// Why an incoming datagram (or part of one) was dropped. Each has its own metric label.
public enum DropReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Longer than `maxDatagramBytes`.
    case oversize
    /// Shorter than a frame header, or a field runs past the end.
    case truncated
    /// Not a Vigil gossip datagram.
    case badMagic = "bad_magic"
    /// A wire version this node does not speak.
    case badVersion = "bad_version"
    /// Flags with unknown bits, or a frame type this node does not know.
    case badType = "bad_type"
    /// From another cluster (the cluster id differs).
    case wrongCluster = "wrong_cluster"
    /// Sealed with a key this node does not hold, or tampered with.
    case keyMismatch = "key_mismatch"
    /// Plain text although this node requires sealed datagrams.
    case unsealed
    /// Sealed although this node has no key.
    case unexpectedSeal = "unexpected_seal"
    /// The LZ4 block is damaged, or announces more than the decompression bound (a bomb).
    case badCompression = "bad_compression"
    /// The body does not parse: lying lengths or counts, bad UTF-8, versions out of order, trailing bytes.
    case malformed
    /// Claims to come from this node's own id.
    case fromSelf = "from_self"
    /// From (or about) an older generation than one already known.
    case staleGeneration = "stale_generation"
    /// Entries for an origin that membership has never heard of.
    case unknownOrigin = "unknown_origin"
    /// Entries starting above what this replica holds (an earlier datagram was lost).
    case versionGap = "version_gap"

    public var description: String { rawValue }
}
