import Coordinator
import CoordinatorCore
import VigilJSON

/// Turns request JSON into validated domain commands. Every rule of the seed 003/004 contract
/// lives here, and every failure is an ``APIError`` with a message that says what to fix.
struct RequestValidation: Sendable {
    /// Bound on the compact size of `progress` and `result_data`.
    var maxProgressBytes: Int
    /// The configured kinds (`kind` and `monitor` fields, issue 24).
    var rules = RuleValidation(catalog: RuleCatalog())

    /// Unix seconds accepted as a client `timestamp`: 2000-01-01 up to 2100-01-01.
    static let timestampRange: ClosedRange<Int64> = 946_684_800...4_102_444_800
    /// Limits in characters (Unicode scalars), as JSON Schema's `maxLength` counts them, so the
    /// OpenAPI document states them exactly.
    static let maxContainerIDCharacters = 256
    static let maxErrorMessageCharacters = 4_096

    func heartbeat(_ body: JSONObject) throws(APIError) -> Heartbeat {
        let id = try executionID(body)
        let container = try containerID(body, required: true)
        guard let rawTimestamp = body["timestamp"], rawTimestamp != .null else {
            throw .badRequest("timestamp is required (integer Unix seconds)")
        }
        let timestamp = try unixSeconds(rawTimestamp, field: "timestamp")
        var status = ExecutionStatus.running
        if let raw = body["status"], raw != .null {
            guard case .string(let text) = raw, let parsed = ExecutionStatus(apiName: text) else {
                throw .badRequest("status must be one of running, completed, failed")
            }
            status = parsed
        }
        var progress: Progress?
        if let raw = body["progress"], raw != .null {
            guard case .object(let object) = raw else { throw .badRequest("progress must be an object, got \(raw.kindName)") }
            do {
                progress = try Progress(validating: object)
            } catch {
                throw .badRequest(error.description)
            }
            if let size = progress?.compact.count, size > maxProgressBytes {
                throw .badRequest("progress is too large: \(size) bytes encoded, limit \(maxProgressBytes) (http.max_progress_bytes)")
            }
        }
        let rule = try rules.rule(body)
        return Heartbeat(executionID: id, containerID: container, clientTimestamp: timestamp, status: status, progress: progress, rule: rule)
    }

    func completion(_ body: JSONObject) throws(APIError) -> Completion {
        let id = try executionID(body)
        let container = try containerID(body, required: true)
        guard case .bool(let success)? = body["success"] else {
            throw .badRequest("success is required and must be true or false")
        }
        var resultData: [UInt8]?
        if let raw = body["result_data"], raw != .null {
            guard case .object(let object) = raw else { throw .badRequest("result_data must be an object, got \(raw.kindName)") }
            if !object.isEmpty {
                let compact = CompactJSON.encode(raw)
                guard compact.count <= maxProgressBytes * 4 else {
                    throw .badRequest("result_data is too large: \(compact.count) bytes encoded, limit \(maxProgressBytes * 4)")
                }
                resultData = compact
            }
        }
        var errorMessage: String?
        if let raw = body["error_message"], raw != .null {
            guard case .string(let text) = raw else { throw .badRequest("error_message must be a string or null") }
            guard text.unicodeScalars.count <= Self.maxErrorMessageCharacters else {
                throw .badRequest("error_message is longer than \(Self.maxErrorMessageCharacters) characters")
            }
            errorMessage = text
        }
        return Completion(executionID: id, containerID: container, success: success, resultData: resultData, errorMessage: errorMessage)
    }

    func registration(_ body: JSONObject) throws(APIError) -> Registration {
        let id = try executionID(body)
        let container = try containerID(body, required: false)
        var startedAtMs: Int64?
        if let raw = body["started_at"], raw != .null {
            startedAtMs = try unixSeconds(raw, field: "started_at") * 1000
        }
        return Registration(executionID: id, containerID: container, startedAtMs: startedAtMs, rule: try rules.rule(body))
    }

    private func executionID(_ body: JSONObject) throws(APIError) -> ExecutionID {
        guard let raw = body["execution_id"], raw != .null else { throw .badRequest("execution_id is required") }
        guard case .string(let text) = raw, let id = ExecutionID(text) else { throw .invalidExecutionID }
        guard id != .reserved else { throw .badRequest("execution_id \(id) is reserved (the max UUID); use a generated UUID") }
        return id
    }

    private func containerID(_ body: JSONObject, required: Bool) throws(APIError) -> String {
        guard let raw = body["container_id"], raw != .null else {
            if required { throw .badRequest("container_id is required") }
            return ""
        }
        guard case .string(let text) = raw, !text.isEmpty else {
            throw .badRequest("container_id must be a non-empty string")
        }
        guard text.unicodeScalars.count <= Self.maxContainerIDCharacters else {
            throw .badRequest("container_id is longer than \(Self.maxContainerIDCharacters) characters")
        }
        return text
    }

    private func unixSeconds(_ raw: JSONValue, field: String) throws(APIError) -> Int64 {
        let value: Int64
        switch raw {
        case .int(let int):
            value = int
        case .double(let double) where double.rounded() == double && abs(double) < 9.2e18:
            value = Int64(double)  // `1640995200.0` is the same integer in JSON's number form
        default:
            throw .badRequest("\(field) must be an integer (Unix seconds), got \(raw.kindName)")
        }
        guard Self.timestampRange.contains(value) else {
            if value > Self.timestampRange.upperBound, Self.timestampRange.contains(value / 1000) {
                throw .badRequest("\(field) \(value) looks like milliseconds; send whole Unix seconds")
            }
            throw .badRequest("\(field) \(value) is out of range; expected Unix seconds between 2000-01-01 and 2100-01-01")
        }
        return value
    }
}
