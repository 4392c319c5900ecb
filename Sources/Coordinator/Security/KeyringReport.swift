import CoordinatorCore
import Gossip

/// What each node gossips about its own keyring, so that any node can tell how many live nodes
/// hold each key (`vigil keyring list`) and refuse a change that would cut some off: the
/// fingerprints of the keys it holds, the sealing one first (never the keys themselves).
public enum KeyringReport {
    /// The reserved entry (``ExecutionID/reserved``) in each node's own gossip table.
    public static let entryKey = EntryKey(high: ExecutionID.reserved.high, low: ExecutionID.reserved.low)

    /// The public name of a key: `plaintext`, or its fingerprint.
    public static func name(_ key: KeyringBook.Key) -> String {
        switch key {
        case .plaintext: "plaintext"
        case .key(let text): GossipKeyring.fingerprint(base64: text) ?? "invalid"
        }
    }

    /// A ring as the entry's value: fingerprints, comma-separated, the sealing one first.
    public static func value(_ book: KeyringBook) -> [UInt8] {
        Array(book.keys.map(name).joined(separator: ",").utf8)
    }

    /// Decodes ``value(_:)``.
    public static func names(_ value: [UInt8]) -> [String] {
        String(decoding: value, as: UTF8.self).split(separator: ",").map(String.init)
    }
}
