import VigilJSON

/// Whether a heartbeat's progress moved, for the stalled-progress rule (issue 24).
///
/// Two progress objects are the same when, after leaving out the time-like fields, they have
/// the same field names with equal values (order does not matter; numbers compare by value, so
/// `5` and `5.0` are equal; nested objects and arrays compare whole). Time-like fields change on
/// every heartbeat of a job that is stuck, so they say nothing about movement:
/// `runtime_seconds`, `start_time`, `timestamp`, `time`, and any field whose name ends in `_at`,
/// `_time`, `_timestamp`, `_seconds`, `_ms` or `_s` (`updated_at`, `elapsed_seconds`, …).
///
/// A heartbeat without `progress` keeps the progress held (seed 003), so it never moves it; the
/// first progress an execution reports is a change.
public enum ProgressChange {
    /// Whether `new` differs from `old` (compact JSON bytes; `old` empty: none held).
    public static func differs(_ old: ArraySlice<UInt8>, _ new: ArraySlice<UInt8>) -> Bool {
        if old.elementsEqual(new) { return false }
        guard !old.isEmpty else { return true }
        return fields(old) != fields(new)
    }

    /// Whether a progress field is time-like (left out of the comparison).
    public static func isTimeLike(_ key: String) -> Bool {
        if ["runtime_seconds", "start_time", "timestamp", "time"].contains(key) { return true }
        return ["_at", "_time", "_timestamp", "_seconds", "_ms", "_s"].contains { key.hasSuffix($0) }
    }

    /// The fields that count, by name; numbers as doubles so `5` equals `5.0`.
    private static func fields(_ bytes: ArraySlice<UInt8>) -> [String: JSONValue] {
        guard case .object(let object)? = try? CompactJSON.decode(Array(bytes)) else { return [:] }
        var out: [String: JSONValue] = [:]
        for member in object.members where !isTimeLike(member.key) {
            out[member.key] = member.value.numberValue.map { .double($0) } ?? member.value
        }
        return out
    }
}
