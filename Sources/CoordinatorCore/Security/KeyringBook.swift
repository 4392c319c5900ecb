import VigilCodec

/// The cluster's gossip keys as durable facts: which keys every node opens datagrams with, and
/// which one seals (the first). Pure; the store carries its changes (``DurableKind/keyringChange``)
/// and every node applies them in store order, so all nodes converge on the same ring.
///
/// "No encryption" is a key like the others (``Key/plaintext``): a cluster started without keys
/// holds only it. Turning encryption on for a running cluster is then the usual rotation:
/// `install K`, `use K`, `remove plaintext`, with no restart and no moment at which two
/// nodes cannot read each other.
///
/// The configuration's keys are the ring at the first start; once the ring has been changed
/// through the store, the store's ring wins over the configuration (as Serf's keyring file does).
public struct KeyringBook: Sendable, Equatable {
    /// A gossip key (base64 of 32 bytes), or no encryption.
    public enum Key: Hashable, Sendable, CustomStringConvertible {
        case plaintext
        case key(String)

        /// How operators name it: `plaintext`, or the base64 text.
        public init(_ text: String) {
            self = text == "plaintext" ? .plaintext : .key(text)
        }

        public var description: String {
            switch self {
            case .plaintext: "plaintext"
            case .key(let text): text
            }
        }
    }

    /// One change an operator asked for.
    public enum Change: Sendable, Equatable {
        /// Open datagrams with this key too (it does not seal yet).
        case install(Key)
        /// Seal with this key (it must be installed on every node first).
        case use(Key)
        /// Stop opening datagrams with this key (never the one in use).
        case remove(Key)
    }

    /// Installed keys, the sealing one first.
    public private(set) var keys: [Key]
    /// Whether a change from the store was ever applied (the store then outranks the config).
    public private(set) var changed = false

    /// The ring at the first start: the configured keys (first seals), or plaintext alone.
    public init(configured: [String]) {
        keys = configured.isEmpty ? [.plaintext] : configured.map(Key.key)
    }

    /// A ring restored from a snapshot.
    public init(restored keys: [Key]) {
        self.keys = keys.isEmpty ? [.plaintext] : keys
        changed = true
    }

    /// The key that seals.
    public var primary: Key { keys[0] }

    /// Whether datagrams are sealed and plaintext refused: no ``Key/plaintext`` in the ring.
    public var isSealed: Bool { !keys.contains(.plaintext) }

    /// The real keys, sealing one first when it is real.
    public var secretKeys: [String] {
        keys.compactMap { if case .key(let text) = $0 { text } else { nil } }
    }

    /// Applies a change read from the store (idempotent: the same change twice is one).
    /// A `use` of a key not installed installs it first; a `remove` of the sealing key, or of
    /// the last key, is ignored.
    public mutating func apply(_ change: Change) {
        changed = true
        switch change {
        case .install(let key):
            if !keys.contains(key) { keys.append(key) }
        case .use(let key):
            keys.removeAll { $0 == key }
            keys.insert(key, at: 0)
        case .remove(let key):
            guard key != primary, keys.count > 1 else { return }
            keys.removeAll { $0 == key }
        }
    }

    /// Why a change must not be made now, given what the live nodes hold.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case notInstalled(Key)
        case notOnEveryNode(Key, holders: Int, alive: Int)
        case removingKeyInUse(Key)
        case stillUsedByNodes(Key, users: Int)
        case notAKey(String)

        public var description: String {
            switch self {
            case .notInstalled(let key): "\(Self.name(key)) is not installed; install it first"
            case .notOnEveryNode(let key, let holders, let alive):
                "\(Self.name(key)) is held by \(holders) of \(alive) live nodes; wait until every node holds it (vigil keyring list) before using it"
            case .removingKeyInUse(let key): "\(Self.name(key)) is the key in use; use another key first"
            case .stillUsedByNodes(let key, let users): "\(users) live node(s) still seal with \(Self.name(key)); wait until they use the new key"
            case .notAKey(let detail): detail
            }
        }

        static func name(_ key: Key) -> String {
            key == .plaintext ? "plaintext" : "the key"
        }
    }

    /// What the live nodes report: for each, the public names of the keys it holds (see
    /// `name`), sealing one first.
    public typealias LiveRings = [String: [String]]

    /// Checks a change against this ring and the live nodes' rings: `use` needs the key on every
    /// live node (else some could not open what this key seals), `remove` never takes the key in
    /// use here or on any live node. `name` gives a key's public name (its fingerprint).
    public func check(_ change: Change, live: LiveRings, name: (Key) -> String) throws(Refusal) {
        switch change {
        case .install:
            return
        case .use(let key):
            guard keys.contains(key) else { throw .notInstalled(key) }
            let holders = live.values.filter { $0.contains(name(key)) }.count
            guard holders == live.count else { throw .notOnEveryNode(key, holders: holders, alive: live.count) }
        case .remove(let key):
            guard key != primary else { throw .removingKeyInUse(key) }
            let users = live.values.filter { $0.first == name(key) }.count
            guard users == 0 else { throw .stillUsedByNodes(key, users: users) }
        }
    }

    // MARK: Records

    /// A change as a store record's payload: op byte, then the key's text (empty: plaintext).
    public static func payload(_ change: Change) -> [UInt8] {
        let (op, key): (UInt8, Key) =
            switch change {
            case .install(let k): (1, k)
            case .use(let k): (2, k)
            case .remove(let k): (3, k)
            }
        var out: [UInt8] = [op]
        if case .key(let text) = key { out += Array(text.utf8) }
        return out
    }

    /// Decodes ``payload(_:)``; `nil` for anything else.
    public static func change(payload: [UInt8]) -> Change? {
        guard let op = payload.first else { return nil }
        let text = String(decoding: payload.dropFirst(), as: UTF8.self)
        let key: Key = text.isEmpty ? .plaintext : .key(text)
        switch op {
        case 1: return .install(key)
        case 2: return .use(key)
        case 3: return .remove(key)
        default: return nil
        }
    }

    /// The keys as one snapshot field: count, then each (empty text: plaintext).
    public var snapshotPayload: [UInt8] {
        var out: [UInt8] = []
        Varint.append(UInt64(keys.count), to: &out)
        for key in keys {
            let bytes = key == .plaintext ? [] : Array(key.description.utf8)
            Varint.append(UInt64(bytes.count), to: &out)
            out += bytes
        }
        return out
    }

    /// Decodes ``snapshotPayload``.
    public init?(snapshotPayload bytes: [UInt8]) {
        var r = ByteReader(bytes[...])
        guard let count = r.readVarint(), count <= UInt64(bytes.count) else { return nil }
        var keys: [Key] = []
        for _ in 0..<count {
            guard let length = r.readVarint(), length <= UInt64(r.remaining), let raw = r.readBytes(Int(length)) else { return nil }
            keys.append(raw.isEmpty ? .plaintext : .key(String(decoding: raw, as: UTF8.self)))
        }
        guard r.isAtEnd, !keys.isEmpty else { return nil }
        self.init(restored: keys)
    }
}
