import VigilJSON

/// How the wrapped command ended.
public enum ChildExit: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// The wrapper's own exit status: the child's, or 128 + the signal's number.
    public var wrapperStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var succeeded: Bool { self == .exited(0) }

    /// `SIGTERM`, `SIGKILL`, … (or `signal N`).
    public static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1",
            11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}

/// The seed's request bodies, built from what the wrapper saw: heartbeats (seed 003, with the
/// merged progress plus `runtime_seconds` and `start_time`) and the completion (seed 004's
/// shape, with the exit code, signal, duration and the output tail in `result_data`).
public struct RunReport: Sendable {
    public var executionID: String
    public var containerID: String
    /// When the child started (Unix s, with fractions).
    public var startedAt: Double
    /// The kind asked for (`--kind`, `TASK_KIND`), sent with every heartbeat (only the first
    /// fixes the rule; the node checks the others and ignores them).
    public var kind: String?
    /// `monitor.heartbeat_timeout_s` (`--heartbeat-timeout`).
    public var heartbeatTimeoutS: Double?

    public init(executionID: String, containerID: String, startedAt: Double, kind: String? = nil, heartbeatTimeoutS: Double? = nil) {
        self.executionID = executionID
        self.containerID = containerID
        self.startedAt = startedAt
        self.kind = kind
        self.heartbeatTimeoutS = heartbeatTimeoutS
    }

    public func heartbeat(progress: JSONObject, now: Double) -> [UInt8] {
        var merged = progress
        merged.members.removeAll { $0.key == "runtime_seconds" || $0.key == "start_time" }
        merged.members.append(.init(key: "runtime_seconds", value: .double((now - startedAt).rounded(toPlaces: 3))))
        merged.members.append(.init(key: "start_time", value: .string(Self.iso8601(startedAt))))
        var body: JSONObject = [
            "execution_id": .string(executionID), "container_id": .string(containerID), "status": .string("running"),
            "timestamp": .int(Int64(now)), "progress": .object(merged),
        ]
        if let kind { body.members.append(.init(key: "kind", value: .string(kind))) }
        if let heartbeatTimeoutS { body.members.append(.init(key: "monitor", value: .object(["heartbeat_timeout_s": .double(heartbeatTimeoutS)]))) }
        return JSONWriter.encode(.object(body))
    }

    public func completion(_ exit: ChildExit, endedAt: Double, outputTail: [UInt8]) -> [UInt8] {
        var result: [JSONObject.Member] = []
        var error: JSONValue = .null
        switch exit {
        case .exited(let code):
            result.append(.init(key: "exit_code", value: .int(Int64(code))))
            result.append(.init(key: "signal", value: .null))
            if code != 0 { error = .string("exited with code \(code)") }
        case .signaled(let signal):
            result.append(.init(key: "exit_code", value: .null))
            result.append(.init(key: "signal", value: .string(ChildExit.signalName(signal))))
            error = .string("killed by \(ChildExit.signalName(signal))")
        }
        result.append(.init(key: "duration_s", value: .double((endedAt - startedAt).rounded(toPlaces: 3))))
        result.append(.init(key: "output_tail", value: .string(String(decoding: outputTail, as: UTF8.self))))
        return JSONWriter.encode(.object([
            "execution_id": .string(executionID), "container_id": .string(containerID), "success": .bool(exit.succeeded),
            "result_data": .object(JSONObject(result)), "error_message": error,
        ]))
    }

    static func iso8601(_ seconds: Double) -> String { POSIX.iso8601(seconds) }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}

/// The child's progress file (`VIGIL_PROGRESS_FILE`): JSON objects, one per line, appended by
/// the job; each new object's fields replace the earlier ones. A half-written last line waits
/// for its newline; a line that is not a JSON object is skipped.
public struct ProgressFile: Sendable {
    public let path: String
    private var offset: UInt64 = 0
    private var partial: [UInt8] = []
    public private(set) var merged = JSONObject()
    /// Lines skipped because they were not JSON objects.
    public private(set) var skipped = 0

    public init(path: String) {
        self.path = path
    }

    /// Reads what was appended since the last call (at most 1 MiB at a time).
    public mutating func refresh() {
        guard let data = POSIX.read(path, from: Int(offset), limit: 1 << 20), !data.isEmpty else { return }
        offset += UInt64(data.count)
        var bytes = partial + data
        partial = []
        if let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) {
            partial = Array(bytes[(lastNewline + 1)...])
            bytes = Array(bytes[..<lastNewline])
        } else {
            partial = bytes
            if partial.count > 1 << 20 { partial = [] }  // one endless line: drop it
            return
        }
        for line in bytes.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ $0 == 32 || $0 == 13 }) {
            guard case .object(let object)? = try? JSONParser.parse(Array(line)) else {
                skipped += 1
                continue
            }
            for member in object.members {
                merged.members.removeAll { $0.key == member.key }
                merged.members.append(member)
            }
        }
    }
}

/// The last bytes of the child's combined output.
public struct OutputTail: Sendable {
    public let limit: Int
    public private(set) var bytes: [UInt8] = []

    public init(limit: Int) {
        self.limit = max(0, limit)
    }

    public mutating func append(_ chunk: some Collection<UInt8>) {
        bytes.append(contentsOf: chunk)
        if bytes.count > limit * 2 + 4096 { bytes.removeFirst(bytes.count - limit) }
    }

    /// The tail, cut at a UTF-8 character boundary.
    public var tail: [UInt8] {
        var slice = Array(bytes.suffix(limit))
        while let first = slice.first, first & 0xC0 == 0x80 { slice.removeFirst() }
        return slice
    }
}
