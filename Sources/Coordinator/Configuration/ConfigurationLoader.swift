import CoordinatorCore
import Foundation
import VigilJSON

/// Reads `cluster.json`, then applies environment overrides (the seeds' names), strictly:
/// unknown keys, wrong types and out-of-range values are errors that name the key. Every key
/// is described once, in ``ConfigKeys``; this walks the file along those descriptions.
public enum ConfigurationLoader {
    /// Loads and validates a configuration file.
    public static func load(path: String) throws(ConfigurationError) -> VigilConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigurationError(key: path, problem: exists ? "cannot read the file (permissions?)" : "file not found")
        }
        return try parse(Array(data), source: path)
    }

    /// Parses and validates configuration JSON.
    public static func parse(_ bytes: [UInt8], source: String = "config") throws(ConfigurationError) -> VigilConfiguration {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw ConfigurationError(key: source, problem: "not valid JSON: \(error)")
        }
        guard case .object(let object) = root else { throw ConfigurationError(key: source, problem: "must be a JSON object") }
        var configuration = VigilConfiguration(nodes: [])
        try Reader(path: "").read(object, ConfigKeys.file, into: &configuration)
        try checkRelations(configuration)
        return configuration
    }

    /// What no single key can check: how two keys relate.
    static func checkRelations(_ configuration: VigilConfiguration) throws(ConfigurationError) {
        let notifications = configuration.notifications
        guard notifications.maxRetry >= notifications.firstRetry else {
            throw ConfigurationError(key: "notifications.max_retry_s", problem: "must not be below first_retry_s")
        }
        try checkKinds(configuration)
    }
}

// MARK: Values as text (the environment, flags)

extension ConfigurationLoader {
    /// The longest duration any key takes: a year.
    static let maxSeconds: Double = 365 * 86_400

    /// A duration of `seconds` (to the nanosecond), if it is a finite number of seconds within a
    /// year, above zero (or, with `allowZero`, zero too).
    static func duration(seconds: Double?, allowZero: Bool) -> Duration? {
        guard let seconds, seconds.isFinite, allowZero ? seconds >= 0 : seconds > 0, seconds <= maxSeconds else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    static func secondsProblem(allowZero: Bool) -> String {
        "must be a \(allowZero ? "non-negative" : "positive") number of seconds (fractions allowed)"
    }

    /// Parses a duration in seconds; fractions allowed (`0.2`).
    public static func seconds(_ text: String, key: String, allowZero: Bool = false) throws(ConfigurationError) -> Duration {
        guard let d = duration(seconds: Double(text.trimmingCharacters(in: .whitespaces)), allowZero: allowZero) else {
            throw ConfigurationError(key: key, problem: "\(secondsProblem(allowZero: allowZero)), got \"\(text)\"")
        }
        return d
    }

    /// A duration as the file writes it, in seconds: `300`, `0.2`.
    public static func secondsText(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard attoseconds != 0 else { return "\(seconds)" }
        return "\(Double(seconds) + Double(attoseconds) / 1e18)"
    }

    /// Parses an integer within `range`.
    public static func integer(_ text: String, key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let n = Int(text), range.contains(n) else {
            throw ConfigurationError(key: key, problem: "must be an integer from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return n
    }

    /// Parses a strike count (`--max-strikes`, `HEARTBEAT_MAX_STRIKES`).
    public static func strikes(_ text: String, key: String) throws(ConfigurationError) -> Int {
        try integer(text, key: key, in: 1...255)
    }

    /// Parses a flag the way seed 002 writes it (`True`, `False`), or `1`/`0`, `yes`/`no`, `on`/`off`.
    public static func flag(_ text: String, key: String) throws(ConfigurationError) -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(key: key, problem: "must be True or False, got \"\(text)\"")
        }
    }

    static func bounded(_ text: String, key: String, maxBytes: Int?) throws(ConfigurationError) -> String {
        if let maxBytes, text.utf8.count > maxBytes { throw ConfigurationError(key: key, problem: "must be at most \(maxBytes) bytes") }
        return text
    }

    public static func timezone(_ text: String, key: String) throws(ConfigurationError) -> String {
        guard TimeZone(identifier: text) != nil else {
            throw ConfigurationError(key: key, problem: "unknown time zone \"\(text)\" (use an IANA name such as Asia/Shanghai or UTC)")
        }
        return text
    }

    public static func gossipKey(_ text: String, key: String) throws(ConfigurationError) -> String {
        guard let data = Data(base64Encoded: text), data.count == 32 else {
            throw ConfigurationError(key: key, problem: "must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)")
        }
        return text
    }

    /// Checks an HTTP token's form (``HTTPSettings/isValidToken(_:)``); the error never echoes it.
    public static func token(_ text: String, key: String) throws(ConfigurationError) -> String {
        guard HTTPSettings.isValidToken(text) else {
            throw ConfigurationError(key: key, problem: "a token must be 16-512 characters of A-Z a-z 0-9 - . _ ~ (make one with `vigil keygen --token`)")
        }
        return text
    }

    /// Comma-separated tokens (`VIGIL_INGEST_TOKENS`), each checked.
    public static func tokens(_ text: String, key: String) throws(ConfigurationError) -> [String] {
        try text.split(separator: ",").map { part throws(ConfigurationError) in try token(part.trimmingCharacters(in: .whitespaces), key: key) }
    }
}
