import VigilJSON

/// One key of the cluster file, described once: its path, its type and range, the environment
/// variable that overrides it, and one line saying what it does. The tables in ``ConfigKeys``
/// drive the file's parsing (and its unknown-key check), the environment's overrides, the
/// errors (which name the key and state the range) and the README's configuration table. The
/// default is the one the settings struct holds (``row(prefix:defaults:)`` shows it).
public struct ConfigKey<Root>: Sendable {
    /// Reads the key's value in the file into the root; `key` (the full path) names it in errors.
    typealias ReadJSON = @Sendable (inout Root, JSONValue, _ key: String) throws(ConfigurationError) -> Void
    /// Reads an environment variable's text into the root; `name` (the variable) names it in errors.
    typealias ReadText = @Sendable (inout Root, String, _ name: String) throws(ConfigurationError) -> Void

    /// Dotted path from the table's root (`executions.heartbeat_timeout_s`).
    public let path: String
    public let type: ConfigType
    /// The environment variable that overrides the file's value, if any.
    public let environment: String?
    /// What the key does, in one line (the README's "meaning" column).
    public let doc: String
    /// Why a file without the key is refused; `nil`: the key may be left out.
    let required: String?
    let readJSON: ReadJSON
    let readText: ReadText?
    /// The key's value in a root, as the README shows a default (`nil`: none).
    let show: @Sendable (Root) -> String?

    /// A key whose values `codec` reads into `field`.
    init<Value>(_ path: String, _ field: any WritableKeyPath<Root, Value> & Sendable, _ codec: ConfigCodec<Value>, env: String?, doc: String) {
        self.path = path
        type = codec.type
        environment = env
        self.doc = doc
        required = nil
        readJSON = { (root, value, key) throws(ConfigurationError) in
            if let v = try codec.json(value, key) { root[keyPath: field] = v }
        }
        readText = { (root, text, name) throws(ConfigurationError) in root[keyPath: field] = try codec.text(text, name) }
        show = { codec.show($0[keyPath: field]) }
    }

    init(path: String, type: ConfigType, environment: String?, doc: String, required: String?, readJSON: @escaping ReadJSON, readText: ReadText?, show: @escaping @Sendable (Root) -> String?) {
        self.path = path
        self.type = type
        self.environment = environment
        self.doc = doc
        self.required = required
        self.readJSON = readJSON
        self.readText = readText
        self.show = show
    }

    /// The same key at `prefix` in a larger root (the prober's timing keys in `probes`, and in
    /// each service).
    func mounted<Outer>(at prefix: String, _ field: any WritableKeyPath<Outer, Root> & Sendable) -> ConfigKey<Outer> {
        let inner = self
        let readJSON: ConfigKey<Outer>.ReadJSON = { (outer, value, key) throws(ConfigurationError) in
            try inner.json(&outer[keyPath: field], value, key)
        }
        var readText: ConfigKey<Outer>.ReadText?
        if self.readText != nil {
            readText = { (outer, text, name) throws(ConfigurationError) in try inner.text(&outer[keyPath: field], text, name) }
        }
        let show: @Sendable (Outer) -> String? = { inner.show($0[keyPath: field]) }
        return ConfigKey<Outer>(
            path: prefix.isEmpty ? path : "\(prefix).\(path)", type: type, environment: environment, doc: doc, required: required,
            readJSON: readJSON, readText: readText, show: show
        )
    }

    /// Reads the key's value in the file.
    func json(_ root: inout Root, _ value: JSONValue, _ key: String) throws(ConfigurationError) {
        try readJSON(&root, value, key)
    }

    /// Reads an environment variable's text (only for a key that has ``readText``).
    func text(_ root: inout Root, _ text: String, _ name: String) throws(ConfigurationError) {
        guard let readText else { return }
        try readText(&root, text, name)
    }

    /// The key's row in the README's table, its default read from `defaults`.
    func row(prefix: String = "", defaults: Root) -> ConfigKeyRow {
        ConfigKeyRow(
            key: prefix + path, type: type.summary, defaultValue: required == nil ? show(defaults) : nil, required: required != nil,
            environment: environment, doc: doc
        )
    }
}

// MARK: One constructor per type, so a table reads as a list

extension ConfigKey {
    /// A duration in seconds (`…_s`), fractions allowed.
    static func seconds(_ path: String, _ field: any WritableKeyPath<Root, Duration> & Sendable, allowZero: Bool = false, env: String? = nil, _ doc: String) -> Self {
        Self(path, field, .seconds(allowZero: allowZero), env: env, doc: doc)
    }

    static func integer(_ path: String, _ field: any WritableKeyPath<Root, Int> & Sendable, _ range: ClosedRange<Int>, env: String? = nil, _ doc: String) -> Self {
        Self(path, field, .integer(range), env: env, doc: doc)
    }

    static func share(_ path: String, _ field: any WritableKeyPath<Root, Double> & Sendable, _ doc: String) -> Self {
        Self(path, field, .share, env: nil, doc: doc)
    }

    static func bool(_ path: String, _ field: any WritableKeyPath<Root, Bool> & Sendable, env: String? = nil, _ doc: String) -> Self {
        Self(path, field, .bool, env: env, doc: doc)
    }

    static func string(_ path: String, _ field: any WritableKeyPath<Root, String> & Sendable, maxBytes: Int? = nil, env: String? = nil, _ doc: String) -> Self {
        Self(path, field, .string(maxBytes: maxBytes), env: env, doc: doc)
    }

    static func timeZone(_ path: String, _ field: any WritableKeyPath<Root, String> & Sendable, env: String? = nil, _ doc: String) -> Self {
        Self(path, field, .timeZone, env: env, doc: doc)
    }

    static func token(_ path: String, _ field: any WritableKeyPath<Root, String?> & Sendable, env: String? = nil, _ doc: String) -> Self {
        Self(path, field, .token, env: env, doc: doc)
    }

    static func tokens(_ path: String, _ field: any WritableKeyPath<Root, [String]> & Sendable, env: String? = nil, _ doc: String) -> Self {
        Self(path, field, .tokens, env: env, doc: doc)
    }

    static func choice<Value: RawRepresentable & CaseIterable & Sendable>(_ path: String, _ field: any WritableKeyPath<Root, Value> & Sendable, _ doc: String) -> Self
    where Value.RawValue == String {
        Self(path, field, .choice, env: nil, doc: doc)
    }

    /// A gossip key that becomes the whole list (`gossip.key`, `VIGIL_GOSSIP_KEY`).
    static func gossipKey(_ path: String, _ field: any WritableKeyPath<Root, [String]> & Sendable, env: String? = nil, _ doc: String) -> Self {
        Self(path, field, .gossipKey, env: env, doc: doc)
    }

    /// Gossip keys added to the list (`gossip.keys`, after `gossip.key`).
    static func gossipKeys(_ path: String, _ field: any WritableKeyPath<Root, [String]> & Sendable, _ doc: String) -> Self {
        let codec = ConfigCodec<[String]>.gossipKeys
        return Self(
            path: path, type: codec.type, environment: nil, doc: doc, required: nil,
            readJSON: { (root, value, key) throws(ConfigurationError) in root[keyPath: field] += try codec.json(value, key) ?? [] },
            readText: nil, show: { _ in nil }
        )
    }

    /// An object or a list with a shape of its own, read by `read` (the full key names it).
    static func structure(
        _ path: String, _ shape: String, default defaultText: String? = nil, required: String? = nil, _ doc: String, read: @escaping ReadJSON
    ) -> Self {
        Self(path: path, type: .structure(shape), environment: nil, doc: doc, required: required, readJSON: read, readText: nil, show: { _ in defaultText })
    }
}

/// One row of the README's configuration table.
public struct ConfigKeyRow: Sendable, Equatable {
    public var key: String
    public var type: String
    /// The default as the file writes it; `nil`: none.
    public var defaultValue: String?
    /// The file must hold this key.
    public var required: Bool
    public var environment: String?
    public var doc: String
}
