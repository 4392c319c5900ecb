import ArgumentParser
import Foundation
import Outbound
import VigilJSON

/// `vigil run [options] -- CMD [ARGS...]`: runs CMD as a monitored execution, with no change to
/// it: heartbeats with progress while it runs, a completion with its exit status, signal,
/// duration and output tail when it ends (spooled until a node takes it).
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command as a monitored execution (heartbeats, progress, completion).",
        discussion: """
            The execution id comes from --execution-id, else TASK_EXECUTION_ID, else a new UUID \
            (printed to stderr); the container id from --container-id, else HOSTNAME. The nodes \
            from --api, else API_BASE_URL (comma-separated): heartbeats go to one node and move \
            to the next when it does not answer. The command may append JSON progress objects, \
            one per line, to the file named in VIGIL_PROGRESS_FILE; their fields are merged into \
            the heartbeats' progress. SIGTERM, SIGINT, SIGHUP and SIGQUIT are forwarded to the \
            command; vigil run exits with its status (128 + N when signal N killed it). The \
            completion is written to the spool directory first; a later `vigil run` or \
            `vigil run --flush` sends what no node took.
            """
    )

    @Option(help: "The execution's id (UUID). Default: TASK_EXECUTION_ID, else a new one.")
    var executionId: String?

    @Option(help: "The container's id. Default: HOSTNAME.")
    var containerId: String?

    @Option(help: "Node base URLs, comma-separated. Default: API_BASE_URL, else http://127.0.0.1:8000.")
    var api: String?

    @Option(help: "Seconds between heartbeats (±10% jitter).")
    var interval: Double = 30

    @Option(help: "Bytes of combined output kept for the completion.")
    var tailBytes: Int = 10_240

    @Option(help: "Seconds to keep trying to send the completion before leaving it spooled.")
    var completionTimeout: Double = 60

    @Option(help: "Where unsent completions wait. Default: VIGIL_SPOOL_DIR, else ~/.local/state/vigil/spool.")
    var spoolDir: String?

    @Flag(help: "Only send the spooled completions, then exit (1 if some remain).")
    var flush = false

    @Argument(parsing: .postTerminator, help: "The command to run, after --.")
    var command: [String] = []

    func validate() throws {
        if flush {
            guard command.isEmpty else { throw ValidationError("--flush takes no command") }
            return
        }
        guard !command.isEmpty else { throw ValidationError("give the command after --: vigil run [options] -- CMD [ARGS...]") }
        guard interval >= 0.05, interval <= 86_400 else { throw ValidationError("--interval must be from 0.05 to 86400 seconds") }
        guard (0...(16 << 20)).contains(tailBytes) else { throw ValidationError("--tail-bytes must be from 0 to 16777216") }
        guard completionTimeout >= 0 else { throw ValidationError("--completion-timeout must not be negative") }
        if let id = executionId ?? ProcessInfo.processInfo.environment["TASK_EXECUTION_ID"], UUID(uuidString: id) == nil {
            throw ValidationError("the execution id must be a UUID, got \"\(id)\" (Vigil answers anything else with Invalid execution_id format)")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let bases = (api ?? environment["API_BASE_URL"] ?? "http://127.0.0.1:8000").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let client = NodeFailoverClient(bases: bases)
        let spool = CompletionSpool(directory: spoolDir ?? environment["VIGIL_SPOOL_DIR"] ?? Self.defaultSpool(environment))
        if flush {
            let left = await Self.flush(spool, client: client, deadline: .now + .seconds(completionTimeout))
            await client.shutdown()
            if left > 0 { throw ExitCode(1) }
            return
        }
        let executionID = (executionId ?? environment["TASK_EXECUTION_ID"]).map { $0.lowercased() } ?? {
            let id = UUID().uuidString.lowercased()
            Self.say("execution id \(id)")
            return id
        }()
        let containerID = containerId ?? environment["HOSTNAME"] ?? "unknown-container"
        let progressPath = environment["VIGIL_PROGRESS_FILE"] ?? NSTemporaryDirectory() + "vigil-progress-\(executionID).jsonl"
        let ownProgressFile = environment["VIGIL_PROGRESS_FILE"] == nil
        if ownProgressFile { FileManager.default.createFile(atPath: progressPath, contents: nil) }
        defer { if ownProgressFile { try? FileManager.default.removeItem(atPath: progressPath) } }

        let startedAt = Date().timeIntervalSince1970
        let report = RunReport(executionID: executionID, containerID: containerID, startedAt: startedAt)
        // Earlier runs' completions no node took: sent alongside (never delaying the child).
        let flushing = Task { await Self.flush(spool, client: client, deadline: .now + .seconds(completionTimeout)) }
        // The first heartbeat registers the execution with its container; the completion waits
        // for it (a command that ends at once must not complete an unknown execution first).
        let first = Task { await client.post("/api/v1/monitoring/heartbeat", body: report.heartbeat(progress: JSONObject(), now: startedAt)) }
        let heartbeats = Task {
            var progress = ProgressFile(path: progressPath)
            var reachable = true
            var rng = SystemRandomNumberGenerator()
            if case .unreachable(let why) = await first.value {
                Self.say("no node took a heartbeat (\(why)); retrying every interval")
                reachable = false
            }
            while !Task.isCancelled {
                let jitter = Double.random(in: -0.1...0.1, using: &rng)
                try? await Task.sleep(for: .milliseconds(Int64(interval * (1 + jitter) * 1000)))
                guard !Task.isCancelled else { return }
                progress.refresh()
                switch await client.post("/api/v1/monitoring/heartbeat", body: report.heartbeat(progress: progress.merged, now: Date().timeIntervalSince1970)) {
                case .accepted:
                    if !reachable { Self.say("a node takes heartbeats again") }
                    reachable = true
                case .refused(let base, let status, let message):
                    Self.say("\(base) refused a heartbeat (\(status)): \(message)")
                case .unreachable(let why):
                    guard !Task.isCancelled else { return }
                    if reachable { Self.say("no node took a heartbeat (\(why)); retrying every interval") }
                    reachable = false
                }
            }
        }
        let outcome: (exit: ChildExit, tail: [UInt8])
        do {
            outcome = try await JobRunner.run(
                command, environment: ["VIGIL_PROGRESS_FILE": progressPath, "TASK_EXECUTION_ID": executionID, "VIGIL_EXECUTION_ID": executionID],
                tailLimit: tailBytes, started: { _ in }
            )
        } catch {
            heartbeats.cancel()
            Self.say("cannot start \(command[0]): \(error)")
            let body = report.completion(.exited(127), endedAt: Date().timeIntervalSince1970, outputTail: Array("cannot start \(command[0]): \(error)".utf8))
            await Self.complete(body, executionID: executionID, spool: spool, client: client, timeout: completionTimeout)
            await client.shutdown()
            throw ExitCode(127)
        }
        heartbeats.cancel()
        _ = await first.value
        _ = await flushing.value
        let body = report.completion(outcome.exit, endedAt: Date().timeIntervalSince1970, outputTail: outcome.tail)
        await Self.complete(body, executionID: executionID, spool: spool, client: client, timeout: completionTimeout)
        await client.shutdown()
        throw ExitCode(outcome.exit.wrapperStatus)
    }

    /// Spools the completion, then sends it with retries (0.5 s doubling to 5 s) until a node
    /// takes it or `timeout` passes (then it stays spooled).
    static func complete(_ body: [UInt8], executionID: String, spool: CompletionSpool, client: NodeFailoverClient, timeout: Double) async {
        let path: String
        do {
            path = try spool.write(executionID: executionID, body: body)
        } catch {
            say("\(error); sending without a spool")
            path = ""
        }
        let deadline = ContinuousClock.now + .seconds(timeout)
        var delay = 0.5
        while true {
            switch await client.post("/api/v1/monitoring/completion", body: body) {
            case .accepted:
                if !path.isEmpty { spool.remove(path) }
                return
            case .refused(let base, let status, let message):
                say("\(base) refused the completion (\(status)): \(message); not retried")
                if !path.isEmpty { spool.remove(path) }
                return
            case .unreachable(let why):
                guard ContinuousClock.now + .seconds(delay) < deadline else {
                    say("no node took the completion (\(why)); it stays spooled in \(path.isEmpty ? "(nowhere)" : path): `vigil run --flush` sends it")
                    return
                }
                try? await Task.sleep(for: .seconds(delay))
                delay = min(5, delay * 2)
            }
        }
    }

    /// Sends every spooled completion; returns how many remain.
    static func flush(_ spool: CompletionSpool, client: NodeFailoverClient, deadline: ContinuousClock.Instant) async -> Int {
        var left = 0
        for (path, body) in spool.pending() {
            var delay = 0.5
            sending: while true {
                switch await client.post("/api/v1/monitoring/completion", body: body) {
                case .accepted:
                    spool.remove(path)
                    say("sent the spooled completion \(path)")
                    break sending
                case .refused(let base, let status, let message):
                    say("\(base) refused the spooled completion \(path) (\(status)): \(message); removed")
                    spool.remove(path)
                    break sending
                case .unreachable:
                    guard ContinuousClock.now + .seconds(delay) < deadline else {
                        left += 1
                        break sending
                    }
                    try? await Task.sleep(for: .seconds(delay))
                    delay = min(5, delay * 2)
                }
            }
        }
        return left
    }

    static func defaultSpool(_ environment: [String: String]) -> String {
        if let state = environment["XDG_STATE_HOME"] { return state + "/vigil/spool" }
        if let home = environment["HOME"] { return home + "/.local/state/vigil/spool" }
        return NSTemporaryDirectory() + "vigil-spool-\(getuid())"
    }

    static func say(_ line: String) {
        FileHandle.standardError.write(Data("vigil run: \(line)\n".utf8))
    }
}
