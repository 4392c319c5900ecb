/// `vigil run`'s options, parsed by hand (no ArgumentParser: it would load Foundation).
public struct RunOptions: Sendable, Equatable {
    public var executionID: String?
    public var containerID: String?
    public var api: String?
    public var intervalS = 30.0
    public var tailBytes = 10_240
    public var completionTimeoutS = 60.0
    public var spoolDir: String?
    public var token: String?
    public var caFile: String?
    public var flush = false
    /// The execution's kind (`--kind`, else `TASK_KIND`): a name in the cluster's `kinds`.
    public var kind: String?
    /// Its own heartbeat timeout (`--heartbeat-timeout`, seconds): `monitor.heartbeat_timeout_s`.
    public var heartbeatTimeoutS: Double?
    public var command: [String] = []

    public static let usage = """
        usage: vigil run [--execution-id UUID] [--container-id ID] [--api URL[,URL...]] [--interval S]
                         [--tail-bytes N] [--completion-timeout S] [--spool-dir DIR] [--token T] [--ca-file PEM]
                         [--kind NAME] [--heartbeat-timeout S] -- CMD [ARGS...]
               vigil run --flush [--api URL[,URL...]] [--spool-dir DIR] [--token T] [--ca-file PEM]

        Runs CMD as a monitored execution: heartbeats every --interval seconds (default 30, ±10%)
        to one of the nodes (--api, else API_BASE_URL, comma-separated; the next when one does not
        answer), with the progress the command appends as JSON lines to the file in
        VIGIL_PROGRESS_FILE; at its end a completion with the exit code or signal, the duration and
        the last --tail-bytes (10240) of its output, written to the spool (--spool-dir, else
        VIGIL_SPOOL_DIR, else ~/.local/state/vigil/spool) first and sent for --completion-timeout
        seconds (60); `vigil run --flush` sends what no node took. The execution id comes from
        --execution-id, else TASK_EXECUTION_ID, else a new UUID (printed); the container id from
        --container-id, else HOSTNAME. SIGTERM, SIGINT, SIGHUP and SIGQUIT go to the command; the
        exit status is the command's (128 + N when signal N killed it). An ingest token goes as a
        bearer token (--token, else VIGIL_TOKEN) or in the URL (http://node:8000/k/TOKEN); https://
        nodes are verified against --ca-file (else VIGIL_CA_FILE, else the system's roots). The
        execution is judged by the rule of kind --kind (else TASK_KIND; a name in the cluster's
        kinds), with --heartbeat-timeout S as its own heartbeat timeout; neither: the default rule.
        """

    /// A usage error, for one line on stderr and exit status 2.
    public struct UsageError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init() {}

    /// Parses the arguments after `run`.
    public init(parsing arguments: [String]) throws(UsageError) {
        var i = 0
        var inline: String?
        func value(_ flag: String) throws(UsageError) -> String {
            if let inline { return inline }
            i += 1
            guard i < arguments.count else { throw UsageError(description: "\(flag) needs a value") }
            return arguments[i]
        }
        func number(_ flag: String, _ range: ClosedRange<Double>) throws(UsageError) -> Double {
            let text = try value(flag)
            guard let n = Double(text), range.contains(n) else { throw UsageError(description: "\(flag) must be a number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"") }
            return n
        }
        while i < arguments.count {
            let argument = arguments[i]
            var flag = argument
            inline = nil
            // `--flag=value` is `--flag value`.
            if argument.hasPrefix("--"), let eq = argument.firstIndex(of: "=") {
                flag = String(argument[..<eq])
                inline = String(argument[argument.index(after: eq)...])
            }
            switch flag {
            case "--":
                command = Array(arguments[(i + 1)...])
                i = arguments.count
                continue
            case "--execution-id": executionID = try value(flag)
            case "--container-id": containerID = try value(flag)
            case "--api": api = try value(flag)
            case "--interval": intervalS = try number(flag, 0.05...86_400)
            case "--tail-bytes": tailBytes = Int(try number(flag, 0...16_777_216))
            case "--completion-timeout": completionTimeoutS = try number(flag, 0...86_400)
            case "--spool-dir": spoolDir = try value(flag)
            case "--token": token = try value(flag)
            case "--ca-file": caFile = try value(flag)
            case "--flush": flush = true
            case "--kind": kind = try value(flag)
            case "--heartbeat-timeout": heartbeatTimeoutS = try number(flag, 0.001...31_622_400)
            case "-h", "--help": throw UsageError(description: Self.usage)
            default:
                if argument.hasPrefix("-") { throw UsageError(description: "unknown option \(argument)\n\(Self.usage)") }
                command = Array(arguments[i...])
                i = arguments.count
                continue
            }
            i += 1
        }
        if flush {
            guard command.isEmpty else { throw UsageError(description: "--flush takes no command") }
        } else if command.isEmpty {
            throw UsageError(description: "give the command after --: vigil run [options] -- CMD [ARGS...]")
        }
    }
}
