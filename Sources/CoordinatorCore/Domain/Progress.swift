import VigilJSON
import VigilCodec

/// A container's progress report, validated and held in ``CompactJSON`` form.
///
/// The seed 003/004 fields are type-checked when present (`total_urls` must be a non-negative
/// integer, `percentage` a number in 0...100, `current_url` a string, …); any other field is kept
/// as sent. Holding the compact bytes instead of a tree keeps a tracked execution small.
public struct Progress: Sendable, Equatable {
    /// The compact encoding of the progress object.
    public let compact: [UInt8]

    /// Validates a progress object from a request.
    public init(validating object: JSONObject) throws(ProgressError) {
        var members = object.members
        for i in members.indices {
            members[i].value = try Self.check(key: members[i].key, value: members[i].value)
        }
        self.compact = CompactJSON.encode(.object(JSONObject(members)))
    }

    /// Rebuilds from stored compact bytes, checking they decode to an object.
    public init(compact: [UInt8]) throws(CompactJSONError) {
        guard case .object = try CompactJSON.decode(compact) else {
            throw CompactJSONError(reason: "progress is not an object")
        }
        self.compact = compact
    }

    /// Wraps bytes this process encoded itself (skips re-validation).
    init(trustedCompact compact: [UInt8]) {
        self.compact = compact
    }

    /// The progress object as JSON.
    public var object: JSONObject {
        // Validated at construction, so decoding cannot fail.
        if case .object(let o)? = try? CompactJSON.decode(compact) { return o }
        return JSONObject()
    }

    /// `percentage`, when the container reported one.
    public var percentage: Double? {
        switch object["percentage"] {
        case .int(let i)?: Double(i)
        case .double(let d)?: d
        default: nil
        }
    }

    static let nonNegativeIntegers: Set<String> = [
        "total_urls", "crawled_urls", "successful_urls", "failed_urls", "data_items", "error_count",
        "current_step", "total_steps",
    ]
    static let strings: Set<String> = ["current_url", "current_stage", "start_time", "stage"]

    private static func check(key: String, value: JSONValue) throws(ProgressError) -> JSONValue {
        if value == .null { return value }
        if nonNegativeIntegers.contains(key) {
            switch value {
            case .int(let i) where i >= 0: return value
            case .double(let d) where d >= 0 && d == d.rounded() && d < 9.0e15: return .int(Int64(d))
            default: throw ProgressError(field: key, problem: "must be a non-negative integer, got \(value.kindName)")
            }
        }
        if strings.contains(key) {
            guard case .string = value else { throw ProgressError(field: key, problem: "must be a string, got \(value.kindName)") }
            return value
        }
        switch key {
        case "percentage":
            guard let d = value.numberValue, (0...100).contains(d) else {
                throw ProgressError(field: key, problem: "must be a number from 0 to 100")
            }
        case "runtime_seconds":
            guard let d = value.numberValue, d >= 0 else {
                throw ProgressError(field: key, problem: "must be a non-negative number of seconds")
            }
        default: break
        }
        return value
    }
}

extension JSONValue {
    /// The value as a `Double` when it is a number.
    public var numberValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}

/// A progress field of the wrong type or out of range.
public struct ProgressError: Error, Equatable, CustomStringConvertible {
    /// The offending field inside `progress`.
    public var field: String
    public var problem: String
    public var description: String { "progress.\(field) \(problem)" }
}
