import VigilJSON

/// One `vigil run`: the child, its heartbeats, its completion, and the spool.
public struct RunSession: Sendable {
    public let options: RunOptions
    public let client: NodeFailoverClient
    public let spool: CompletionSpool

    /// A configuration problem (exit status 2).
    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(options: RunOptions) throws(SetupError) {
        self.options = options
        let text = options.api ?? POSIX.environment("API_BASE_URL") ?? "http://127.0.0.1:8000"
        var bases: [NodeFailoverClient.BaseURL] = []
        for part in text.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: " ")
            guard let base = NodeFailoverClient.BaseURL(String(trimmed)) else {
                throw SetupError(description: "\(trimmed) is not a node URL (http[s]://host:port, comma-separated for several)")
            }
            bases.append(base)
        }
        guard !bases.isEmpty else { throw SetupError(description: "no node URL in --api / API_BASE_URL") }
        do {
            client = try NodeFailoverClient(
                bases: bases, token: options.token ?? POSIX.environment("VIGIL_TOKEN"), caFile: options.caFile ?? POSIX.environment("VIGIL_CA_FILE")
            )
        } catch {
            throw SetupError(description: error.description)
        }
        spool = CompletionSpool(directory: options.spoolDir ?? POSIX.environment("VIGIL_SPOOL_DIR") ?? Self.defaultSpool())
    }

    static func defaultSpool() -> String {
        if let state = POSIX.environment("XDG_STATE_HOME") { return state + "/vigil/spool" }
        if let home = POSIX.environment("HOME") { return home + "/.local/state/vigil/spool" }
        return (POSIX.environment("TMPDIR") ?? "/tmp") + "/vigil-spool"
    }

    /// Runs the command to its end and reports it; returns the wrapper's exit status.
    public func run() async throws(SetupError) -> Int32 {
        let executionID = try resolveExecutionID()
        let containerID = options.containerID ?? POSIX.environment("HOSTNAME") ?? "unknown-container"
        let progressPath = POSIX.environment("VIGIL_PROGRESS_FILE") ?? (POSIX.environment("TMPDIR") ?? "/tmp") + "/vigil-progress-\(executionID).jsonl"
        let ownProgress = POSIX.environment("VIGIL_PROGRESS_FILE") == nil
        if ownProgress { POSIX.touch(progressPath) }
        defer { if ownProgress { POSIX.remove(progressPath) } }

        let startedAt = POSIX.now()
        let kind = options.kind ?? POSIX.environment("TASK_KIND").flatMap { $0.isEmpty ? nil : $0 }
        let report = RunReport(executionID: executionID, containerID: containerID, startedAt: startedAt, kind: kind, heartbeatTimeoutS: options.heartbeatTimeoutS)
        let (client, spool, options) = (self.client, self.spool, self.options)
        let flushing = Task { await Self.flush(spool, client: client, timeoutS: options.completionTimeoutS) }
        // The first heartbeat registers the execution with its container; the completion waits
        // for it (a command that ends at once must not complete an unknown execution first).
        let first = Task { await client.post("/api/v1/monitoring/heartbeat", body: report.heartbeat(progress: [:], now: startedAt)) }
        let heartbeats = Task { await Self.beat(after: first, client: client, report: report, progressPath: progressPath, intervalS: options.intervalS) }
        let exit: ChildExit
        let tail: [UInt8]
        do {
            (exit, tail) = try await JobRunner.run(
                options.command, environment: ["VIGIL_PROGRESS_FILE": progressPath, "TASK_EXECUTION_ID": executionID, "VIGIL_EXECUTION_ID": executionID],
                tailLimit: options.tailBytes, started: { _ in }
            )
        } catch {
            say("cannot start \(options.command[0]): \(error)")
            (exit, tail) = (.exited(127), Array("cannot start \(options.command[0]): \(error)".utf8))
        }
        heartbeats.cancel()
        await heartbeats.value
        _ = await first.value
        _ = await flushing.value
        await Self.complete(report.completion(exit, endedAt: POSIX.now(), outputTail: tail), executionID: executionID, spool: spool, client: client, timeoutS: options.completionTimeoutS)
        return exit.wrapperStatus
    }

    /// The execution id: `--execution-id`, else `TASK_EXECUTION_ID`, else a new one (said on stderr).
    func resolveExecutionID() throws(SetupError) -> String {
        let id = options.executionID ?? POSIX.environment("TASK_EXECUTION_ID")
        if let id, !POSIX.isUUID(id) {
            throw SetupError(description: "the execution id must be a UUID, got \"\(id)\" (Vigil answers anything else with Invalid execution_id format)")
        }
        if let id { return id.lowercased() }
        let new = POSIX.uuid()
        say("execution id \(new)")
        return new
    }

    /// Heartbeats every `intervalS` (±10% jitter) with the progress file's latest values, after
    /// the first one, until cancelled; says when no node takes them and when one does again.
    static func beat(
        after first: Task<NodeFailoverClient.Answer, Never>, client: NodeFailoverClient, report: RunReport, progressPath: String, intervalS: Double
    ) async {
        let options = (intervalS: intervalS, ())  // the loop reads options.intervalS
        var progress = ProgressFile(path: progressPath)
        var reachable = true
        var rng = SystemRandomNumberGenerator()
        if case .unreachable(let why) = await first.value {
            say("no node took a heartbeat (\(why)); retrying every interval")
            reachable = false
        }
        while !Task.isCancelled {
            let jitter = Double.random(in: -0.1...0.1, using: &rng)
            try? await Task.sleep(for: .milliseconds(Int64(options.intervalS * (1 + jitter) * 1000)))
            guard !Task.isCancelled else { return }
            progress.refresh()
            switch await client.post("/api/v1/monitoring/heartbeat", body: report.heartbeat(progress: progress.merged, now: POSIX.now())) {
            case .accepted:
                if !reachable { say("a node takes heartbeats again") }
                reachable = true
            case .refused(let base, let status, let message):
                say("\(base) refused a heartbeat (\(status)): \(message)")
            case .unreachable(let why):
                guard !Task.isCancelled else { return }
                if reachable { say("no node took a heartbeat (\(why)); retrying every interval") }
                reachable = false
            }
        }
    }

    /// Sends the spooled completions; returns how many remain.
    public func flushOnly() async -> Int {
        await Self.flush(spool, client: client, timeoutS: options.completionTimeoutS)
    }

    /// Spools the completion, then sends it with retries (0.5 s doubling to 5 s) until a node
    /// takes it or `timeoutS` passes (then it stays spooled).
    static func complete(_ body: [UInt8], executionID: String, spool: CompletionSpool, client: NodeFailoverClient, timeoutS: Double) async {
        var path = ""
        do {
            path = try spool.write(executionID: executionID, body: body)
        } catch {
            say("\(error); sending without a spool")
        }
        switch await send(body, client: client, deadline: POSIX.monotonic() + timeoutS) {
        case .accepted:
            if !path.isEmpty { spool.remove(path) }
        case .refused(let base, let status, let message):
            say("\(base) refused the completion (\(status)): \(message); not retried")
            if !path.isEmpty { spool.remove(path) }
        case .unreachable(let why):
            say("no node took the completion (\(why)); it stays spooled in \(path.isEmpty ? "(nowhere)" : path): `vigil run --flush` sends it")
        }
    }

    static func flush(_ spool: CompletionSpool, client: NodeFailoverClient, timeoutS: Double) async -> Int {
        var left = 0
        for (path, body) in spool.pending() {
            switch await send(body, client: client, deadline: POSIX.monotonic() + timeoutS) {
            case .accepted:
                spool.remove(path)
                say("sent the spooled completion \(path)")
            case .refused(let base, let status, let message):
                say("\(base) refused the spooled completion \(path) (\(status)): \(message); removed")
                spool.remove(path)
            case .unreachable:
                left += 1
            }
        }
        return left
    }

    /// Tries every node, again and again with backoff, until one answers or the deadline passes.
    static func send(_ body: [UInt8], client: NodeFailoverClient, deadline: Double) async -> NodeFailoverClient.Answer {
        var delay = 0.5
        while true {
            let answer = await client.post("/api/v1/monitoring/completion", body: body)
            guard case .unreachable = answer, POSIX.monotonic() + delay < deadline else { return answer }
            try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
            delay = min(5, delay * 2)
        }
    }
}

func say(_ line: String) { POSIX.say("vigil run: \(line)") }

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
