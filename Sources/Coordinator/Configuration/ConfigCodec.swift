import CoordinatorCore
import Foundation
import VigilJSON

/// How the values of one ``ConfigType`` are read from the file (JSON) and from the environment
/// (text), with the error that names the key and states the range, and how a default is shown.
struct ConfigCodec<Value>: Sendable {
    let type: ConfigType
    /// The value in the file; `nil`: leave the setting as it is (a `null` token or key).
    let json: @Sendable (JSONValue, _ key: String) throws(ConfigurationError) -> Value?
    /// The value of an environment variable (or a flag).
    let text: @Sendable (String, _ key: String) throws(ConfigurationError) -> Value
    /// The value as the README shows a default; `nil`: none.
    let show: @Sendable (Value) -> String?
}

extension ConfigCodec<Duration> {
    static func seconds(allowZero: Bool) -> Self {
        Self(
            type: .seconds(allowZero: allowZero),
            json: { (value, key) throws(ConfigurationError) in
                guard let d = ConfigurationLoader.duration(seconds: value.numberValue, allowZero: allowZero) else {
                    throw ConfigurationError(key: key, problem: ConfigurationLoader.secondsProblem(allowZero: allowZero))
                }
                return d
            },
            text: { (text, key) throws(ConfigurationError) in try ConfigurationLoader.seconds(text, key: key, allowZero: allowZero) },
            show: { ConfigurationLoader.secondsText($0) }
        )
    }
}

extension ConfigCodec<Int> {
    static func integer(_ range: ClosedRange<Int>) -> Self {
        Self(
            type: .integer(range),
            json: { (value, key) throws(ConfigurationError) in
                guard case .int(let i) = value, let n = Int(exactly: i), range.contains(n) else {
                    throw ConfigurationError(key: key, problem: "must be an integer from \(range.lowerBound) to \(range.upperBound)")
                }
                return n
            },
            text: { (text, key) throws(ConfigurationError) in try ConfigurationLoader.integer(text, key: key, in: range) },
            show: { "\($0)" }
        )
    }
}

extension ConfigCodec<Double> {
    /// A number in (0, 1].
    static var share: Self {
        let problem = "must be a number in (0, 1]"
        return Self(
            type: .share,
            json: { (value, key) throws(ConfigurationError) in
                guard let v = value.numberValue, v > 0, v <= 1 else { throw ConfigurationError(key: key, problem: problem) }
                return v
            },
            text: { (text, key) throws(ConfigurationError) in
                guard let v = Double(text), v > 0, v <= 1 else { throw ConfigurationError(key: key, problem: "\(problem), got \"\(text)\"") }
                return v
            },
            show: { "\($0)" }
        )
    }
}

extension ConfigCodec<Bool> {
    static var bool: Self {
        Self(
            type: .bool,
            json: { (value, key) throws(ConfigurationError) in
                guard case .bool(let b) = value else { throw ConfigurationError(key: key, problem: "must be true or false, got \(value.kindName)") }
                return b
            },
            text: { (text, key) throws(ConfigurationError) in try ConfigurationLoader.flag(text, key: key) },
            show: { "\($0)" }
        )
    }
}

extension ConfigCodec<String> {
    /// A non-empty string of at most `maxBytes` bytes.
    static func string(maxBytes: Int?) -> Self {
        Self(
            type: .string(maxBytes: maxBytes),
            json: { (value, key) throws(ConfigurationError) in
                try ConfigurationLoader.bounded(try ConfigurationLoader.Reader.nonEmptyString(value, key: key), key: key, maxBytes: maxBytes)
            },
            text: { (text, key) throws(ConfigurationError) in
                guard !text.isEmpty else { throw ConfigurationError(key: key, problem: "must not be empty") }
                return try ConfigurationLoader.bounded(text, key: key, maxBytes: maxBytes)
            },
            show: { $0.isEmpty ? nil : $0 }
        )
    }

    static var timeZone: Self {
        Self(
            type: .timeZone,
            json: { (value, key) throws(ConfigurationError) in
                try ConfigurationLoader.timezone(try ConfigurationLoader.Reader.nonEmptyString(value, key: key), key: key)
            },
            text: { (text, key) throws(ConfigurationError) in try ConfigurationLoader.timezone(text, key: key) },
            show: { $0 }
        )
    }
}

extension ConfigCodec<String?> {
    /// An HTTP token; `null` in the file leaves it unset.
    static var token: Self {
        Self(
            type: .token,
            json: { (value, key) throws(ConfigurationError) -> String?? in
                guard value != .null else { return nil }
                return .some(try ConfigurationLoader.token(try ConfigurationLoader.Reader.nonEmptyString(value, key: key), key: key))
            },
            text: { (text, key) throws(ConfigurationError) in try ConfigurationLoader.token(text, key: key) },
            show: { $0 }
        )
    }
}

extension ConfigCodec<[String]> {
    /// HTTP tokens: a JSON array, or comma-separated in the environment.
    static var tokens: Self {
        Self(
            type: .tokens,
            json: { (value, key) throws(ConfigurationError) in
                guard case .array(let list) = value else { throw ConfigurationError(key: key, problem: "must be an array of tokens") }
                return try list.enumerated().map { (i, item) throws(ConfigurationError) in
                    guard case .string(let text) = item else { throw ConfigurationError(key: "\(key)[\(i)]", problem: "must be a string") }
                    return try ConfigurationLoader.token(text, key: "\(key)[\(i)]")
                }
            },
            text: { (text, key) throws(ConfigurationError) in try ConfigurationLoader.tokens(text, key: key) },
            show: { $0.isEmpty ? nil : $0.joined(separator: ", ") }
        )
    }

    /// One gossip key, which becomes the whole list; `null` in the file leaves the list as it is.
    static var gossipKey: Self {
        Self(
            type: .gossipKey,
            json: { (value, key) throws(ConfigurationError) -> [String]? in
                guard value != .null else { return nil }
                guard case .string(let text) = value else { throw ConfigurationError(key: key, problem: "must be a base64 string") }
                return [try ConfigurationLoader.gossipKey(text, key: key)]
            },
            text: { (text, key) throws(ConfigurationError) in [try ConfigurationLoader.gossipKey(text, key: key)] },
            show: { $0.first }
        )
    }

    /// A list of gossip keys (a JSON array, comma-separated in the environment).
    static var gossipKeys: Self {
        Self(
            type: .gossipKeys,
            json: { (value, key) throws(ConfigurationError) in
                guard case .array(let list) = value else { throw ConfigurationError(key: key, problem: "must be an array of base64 strings") }
                return try list.enumerated().map { (i, item) throws(ConfigurationError) in
                    guard case .string(let text) = item else { throw ConfigurationError(key: "\(key)[\(i)]", problem: "must be a base64 string") }
                    return try ConfigurationLoader.gossipKey(text, key: "\(key)[\(i)]")
                }
            },
            text: { (text, key) throws(ConfigurationError) in
                try text.split(separator: ",").map { part throws(ConfigurationError) in
                    try ConfigurationLoader.gossipKey(part.trimmingCharacters(in: .whitespaces), key: key)
                }
            },
            show: { $0.isEmpty ? nil : $0.joined(separator: ", ") }
        )
    }
}

extension ConfigCodec where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
    /// One of the enumeration's raw values.
    static var choice: Self {
        let words = Value.allCases.map(\.rawValue)
        @Sendable func parse(_ text: String, key: String) throws(ConfigurationError) -> Value {
            guard let v = Value(rawValue: text) else {
                throw ConfigurationError(key: key, problem: "must be one of \(words.joined(separator: ", ")), got \"\(text)\"")
            }
            return v
        }
        return Self(
            type: .choice(words),
            json: { (value, key) throws(ConfigurationError) in try parse(try ConfigurationLoader.Reader.nonEmptyString(value, key: key), key: key) },
            text: { (text, key) throws(ConfigurationError) in try parse(text, key: key) },
            show: { $0.rawValue }
        )
    }
}
