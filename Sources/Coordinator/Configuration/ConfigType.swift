/// What a configuration key holds and the values it may take: the rule its parser applies and
/// the README's "type" column.
public enum ConfigType: Sendable, Equatable {
    /// A duration in seconds, fractions allowed (`0.2`), at most a year; `allowZero`: 0 too
    /// (for most such keys, 0 means off).
    case seconds(allowZero: Bool)
    /// An integer within the range.
    case integer(ClosedRange<Int>)
    /// A number greater than 0 and at most 1.
    case share
    /// `true` or `false` (in the environment also `True`, `1`, `yes`, `on`, and their opposites).
    case bool
    /// A non-empty string, of at most `maxBytes` bytes of UTF-8 when given.
    case string(maxBytes: Int?)
    /// An IANA time zone name (`Asia/Shanghai`, `UTC`).
    case timeZone
    /// An HTTP bearer token: 16-512 characters of `A-Z a-z 0-9 - . _ ~`.
    case token
    /// A list of HTTP bearer tokens (comma-separated in the environment).
    case tokens
    /// A gossip key: 32 bytes, base64.
    case gossipKey
    /// A list of gossip keys.
    case gossipKeys
    /// One of these words.
    case choice([String])
    /// An object or a list with its own shape (described here), read by its own parser.
    case structure(String)

    /// The type and its range, as the README's table shows them.
    public var summary: String {
        switch self {
        case .seconds(let allowZero): allowZero ? "seconds ≥ 0" : "seconds > 0"
        case .integer(let range): "integer \(range.lowerBound)–\(range.upperBound)"
        case .share: "number in (0, 1]"
        case .bool: "bool"
        case .string(let maxBytes): maxBytes.map { "string (≤ \($0) bytes)" } ?? "string"
        case .timeZone: "IANA time zone"
        case .token: "token"
        case .tokens: "list of tokens"
        case .gossipKey: "base64 key (32 bytes)"
        case .gossipKeys: "list of base64 keys"
        case .choice(let words): "one of " + words.map { "`\($0)`" }.joined(separator: ", ")
        case .structure(let shape): shape
        }
    }
}
