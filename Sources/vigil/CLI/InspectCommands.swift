import ArgumentParser
import Coordinator
import Foundation
import Store
import CoordinatorCore
import VigilJSON

/// `vigil status`: leader, term, quorum, paused, executions by status, store.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a node's view: leader, term, quorum, pause flag, executions by status, store.")
    @OptionGroup var options: NodeOptions

    func run() async throws {
        try await reportingFailures { () async throws(NodeClient.Failure) in
            let client = try options.client()
            let health = try await client.get("/health/detailed")
            if options.format == .json { return print(health.jsonText) }
            let sweep = health["sweep"]
            let counts = health["executions"]
            print("node        \(Output.text(health["node_id"])) (\(client.baseURL)), cluster \(Output.text(health["cluster"])), up \(Output.age(health["uptime_s"]?.numberValue))")
            print("leader      \(Output.text(sweep?["leader"])) (term \(Output.text(sweep?["term"])), quorum \(Output.text(sweep?["quorum"])))")
            let sweeping: String
            if sweep?["paused"] == .bool(true) {
                sweeping = Output.colored("paused")
            } else if sweep?["sweeping"] == .bool(true) {
                sweeping = "yes (this node leads)"
            } else {
                if sweep?["leader"] == health["node_id"] {
                    sweeping = sweep?["term_durable"] == .bool(false)
                        ? Output.colored("no: the leadership term is not durable yet") : "not yet (catching up)"
                } else {
                    sweeping = "no (the leader sweeps)"
                }
            }
            print("sweeping    \(sweeping)" + (sweep?["degraded"].flatMap { $0 == .null ? nil : " - \(Output.text($0))" } ?? ""))
            if let problem = sweep?["last_error"], problem != .null { print("last error  \(Output.text(problem))") }
            if let prober = health["prober"], prober != .null { print("prober      \(Output.text(prober))") }
            print("executions  running \(Output.text(counts?["running"])), completed \(Output.text(counts?["completed"])), failed \(Output.text(counts?["failed"])), total \(Output.text(counts?["total"]))")
            let store = health["store"]
            if store?["status"] == .string("disabled") {
                print("store       disabled (in memory only)")
            } else {
                let stalled = store?["stalled_s"]?.numberValue.map { " for \(Output.age($0)) (not leading, refusing durable requests)" } ?? ""
                print("store       \(Output.text(store?["status"]))\(stalled): \(Output.text(store?["path"])), peers read \(Output.age(store?["peers_read_s_ago"]?.numberValue)) ago, fsyncs \(Output.text(store?["fsyncs"]))")
            }
        }
    }
}

/// `vigil executions [--status S] [--kind K] [--limit N]`.
struct Executions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List executions (ordered by id).")
    @OptionGroup var options: NodeOptions
    @Option(help: "Only executions with this status: running, completed, failed, or stalled (running, progress unchanged past its kind's progress_timeout_s).")
    var status: String?
    @Option(help: "Only executions of this kind (a name in the cluster file's kinds).")
    var kind: String?
    @Option(help: "At most this many (1-1000).")
    var limit: Int = 100

    func validate() throws {
        if let status, status.lowercased() != "stalled", ExecutionStatus(apiName: status) == nil {
            throw ValidationError("--status must be running, completed, failed or stalled")
        }
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
    }

    func run() async throws {
        try await reportingFailures { () async throws(NodeClient.Failure) in
            var path = "/api/v1/executions?limit=\(limit)"
            if let status { path += "&status=\(status.lowercased())" }
            if let kind { path += "&kind=\(kind.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? kind)" }
            let list = try await options.client().get(path)
            if options.format == .json { return print(list.jsonText) }
            let rows = (list["executions"]?.arrayValue ?? []).map { e -> [String] in
                let percentage = e["progress"]?["percentage"]?.numberValue
                let stalled = e["stalled"] == .bool(true) ? " STALLED" : ""
                return [
                    Output.text(e["execution_id"]), Output.colored(Output.text(e["status"])) + stalled, Output.text(e["container_id"]),
                    Output.text(e["last_heartbeat"]), Output.age(e["heartbeat_age_s"]?.numberValue), Output.text(e["strikes"]),
                    e["kind"].flatMap { $0 == .null ? nil : Output.text($0) } ?? "-", Self.rule(e["rule"]),
                    percentage.map { String(format: "%.1f%%", $0) } ?? "-",
                ]
            }
            print(Output.table(["EXECUTION", "STATUS", "CONTAINER", "LAST HEARTBEAT", "AGE", "STRIKES", "KIND", "RULE", "PROGRESS"], rows))
        }
    }
}

extension Executions {
    /// An effective rule, short: `300s×3`, then `progress 1800s`, `max 21600s`, `fail-stalled`.
    static func rule(_ rule: JSONValue?) -> String {
        guard let rule, rule != .null else { return "-" }
        var parts = ["\(Output.text(rule["heartbeat_timeout_s"]))s×\(Output.text(rule["max_strikes"]))"]
        if let v = rule["progress_timeout_s"], v != .null { parts.append("progress \(Output.text(v))s") }
        if let v = rule["max_runtime_s"], v != .null { parts.append("max \(Output.text(v))s") }
        if rule["fail_when_stalled"] == .bool(true) { parts.append("fail-stalled") }
        return parts.joined(separator: " ")
    }
}

/// `vigil execution ID`.
struct Execution: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one execution in detail.")
    @OptionGroup var options: NodeOptions
    @Argument(help: "The execution id (UUID).")
    var id: String

    func validate() throws {
        guard ExecutionID(id) != nil else { throw ValidationError("Invalid execution_id format: \(id)") }
    }

    func run() async throws {
        try await reportingFailures { () async throws(NodeClient.Failure) in
            let e = try await options.client().get("/api/v1/executions/\(id)")
            if options.format == .json { return print(e.jsonText) }
            print("execution       \(Output.text(e["execution_id"]))")
            print("status          \(Output.colored(Output.text(e["status"])))")
            print("container       \(Output.text(e["container_id"]))")
            print("registered      \(Output.text(e["registered_at"]))")
            print("last heartbeat  \(Output.text(e["last_heartbeat"])) (age \(Output.age(e["heartbeat_age_s"]?.numberValue)), \(Output.text(e["heartbeat_count"])) heartbeats, apparent skew \(Output.text(e["apparent_skew_ms"])) ms)")
            print("strikes         \(Output.text(e["strikes"]))")
            print("kind            \(e["kind"].flatMap { $0 == .null ? nil : Output.text($0) } ?? "-") (rule \(Executions.rule(e["rule"])))")
            if e["stalled"] == .bool(true) { print("STALLED         progress unchanged since \(Output.text(e["stalled_since"]))") }
            if let progress = e["progress"], progress != .null {
                if let percentage = progress["percentage"]?.numberValue { print("progress        \(Output.bar(percentage))") }
                print("                \(progress.jsonText)")
            }
            if let reason = e["failure_reason"], reason != .null { print("failure reason  \(Output.text(reason))") }
            if let finished = e["finished_at"], finished != .null { print("finished        \(Output.text(finished)) by \(Output.text(e["finished_by"]))") }
            if let result = e["result_data"], result != .null { print("result          \(result.jsonText)") }
        }
    }
}

/// `vigil marks [--node URL | --store DIR]`.
struct Marks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List failure marks with their reasons, newest first; --store reads the store files directly.")
    @OptionGroup var options: NodeOptions
    @Option(help: "Read marks from this store directory instead of asking a node.")
    var store: String?
    @Option(help: "At most this many.")
    var limit: Int = 100

    func validate() throws {
        if store != nil, options.node != nil { throw ValidationError("use either --node or --store, not both") }
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let marks: [(id: String, at: String, reason: String)]
        if let store {
            marks = try Self.fromStore(store, limit: limit, timezone: (try? ConfigurationLoader.load(path: options.config).timezone) ?? "UTC")
        } else {
            var fetched: [(String, String, String)] = []
            try await reportingFailures { () async throws(NodeClient.Failure) in
                let list = try await options.client().get("/api/v1/marks?limit=\(limit)")
                fetched = (list["marks"]?.arrayValue ?? []).map { (Output.text($0["execution_id"]), Output.text($0["marked_at"]), Output.text($0["reason"])) }
            }
            marks = fetched
        }
        switch options.format {
        case .json:
            let items = marks.map { JSONValue.object(["execution_id": .string($0.id), "marked_at": .string($0.at), "reason": .string($0.reason)]) }
            print(JSONValue.object(["marks": .array(items), "count": .int(Int64(items.count))]).jsonText)
        case .text:
            print(Output.table(["EXECUTION", "MARKED AT", "REASON"], marks.map { [$0.id, $0.at, $0.reason] }))
        }
    }

    /// Failure marks straight from the store files, newest first.
    static func fromStore(_ root: String, limit: Int, timezone: String) throws -> [(id: String, at: String, reason: String)] {
        let formatter = TimestampFormatter(timeZoneIdentifier: timezone) ?? TimestampFormatter(timeZone: .gmt)
        let records: [StoreRecord]
        do {
            records = try StoreReader(root: root).replay().records
        } catch {
            FileHandle.standardError.write(Data("vigil: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var seen = Set<ExecutionID>()
        var marks: [(Int64, String, String, String)] = []
        for record in records where DurableKind(record.type) == .failureMark {
            guard case .finished(let id, _, _, let at, let reason, _, _, _)? = ExecutionFact(type: record.type, payload: record.payload),
                seen.insert(id).inserted  // a mark is written once; a repeat by a second leader is ignored
            else { continue }
            marks.append((at, id.description, formatter.iso8601(unixMs: at), reason ?? ""))
        }
        return marks.sorted { ($0.0, $0.1) > ($1.0, $1.1) }.prefix(limit).map { ($0.1, $0.2, $0.3) }
    }
}

/// `vigil pause` / `vigil resume`: the admin endpoints.
struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause sweeping (heartbeats are still taken).")
    @OptionGroup var options: NodeOptions
    func run() async throws { try await AdminCall.run(options, path: "/admin/heartbeat/stop") }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume sweeping.")
    @OptionGroup var options: NodeOptions
    func run() async throws { try await AdminCall.run(options, path: "/admin/heartbeat/start") }
}

enum AdminCall {
    static func run(_ options: NodeOptions, path: String) async throws {
        try await reportingFailures { () async throws(NodeClient.Failure) in
            let status = try await options.client().post(path, json: nil)
            if options.format == .json { return print(status.jsonText) }
            print("sweeping \(status["paused"] == .bool(true) ? "paused" : "resumed") (leader \(Output.text(status["leader"])), term \(Output.text(status["term"])))")
        }
    }
}

/// `vigil beat --execution-id ID`: one heartbeat by hand.
struct Beat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send one heartbeat (seed 003 body) by hand.")
    @OptionGroup var options: NodeOptions
    @Option(help: "The execution id (UUID).")
    var executionId: String
    @Option(help: "The container id.")
    var containerId: String = ProcessInfo.processInfo.hostName
    @Option(help: "running, completed or failed.")
    var status: String = "running"
    @Option(help: "Progress as a JSON object, e.g. '{\"percentage\": 45}'.")
    var progress: String?

    func validate() throws {
        guard ExecutionID(executionId) != nil else { throw ValidationError("Invalid execution_id format: \(executionId)") }
        guard ExecutionStatus(apiName: status) != nil else { throw ValidationError("--status must be running, completed or failed") }
        if let progress {
            guard case .object? = try? JSONParser.parse(progress) else { throw ValidationError("--progress must be a JSON object") }
        }
    }

    func run() async throws {
        var body: [JSONObject.Member] = [
            .init(key: "execution_id", value: .string(executionId)), .init(key: "container_id", value: .string(containerId)),
            .init(key: "status", value: .string(status.lowercased())), .init(key: "timestamp", value: .int(Int64(Date().timeIntervalSince1970))),
        ]
        if let progress, let parsed = try? JSONParser.parse(progress) { body.append(.init(key: "progress", value: parsed)) }
        let json = JSONValue.object(JSONObject(body)).jsonText
        try await reportingFailures { () async throws(NodeClient.Failure) in
            let answer = try await options.client().post("/api/v1/monitoring/heartbeat", json: json)
            print(options.format == .json ? answer.jsonText : "heartbeat accepted for \(Output.text(answer["execution_id"])) at \(Output.text(answer["timestamp"]))")
        }
    }
}

/// `vigil members`: one aligned line per member, as the asked node's gossip sees it.
struct Members: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List cluster members: id, addresses, state, incarnation, generation, last seen; the leader is marked.")
    @OptionGroup var options: NodeOptions

    func run() async throws {
        try await reportingFailures { () async throws(NodeClient.Failure) in
            let list = try await options.client().get("/api/v1/cluster/members")
            if options.format == .json { return print(list.jsonText) }
            let leader = list["leader"]
            let rows = (list["members"]?.arrayValue ?? []).map { m -> [String] in
                let id = Output.text(m["id"]) + (m["id"] == leader ? " *" : "") + (m["self"] == .bool(true) ? " (this node)" : "")
                let seen = m["last_seen_s"]?.numberValue.map { String(format: "%.1fs ago", $0) } ?? "-"
                return [id, Output.text(m["gossip"]), Output.text(m["http"]), Output.colored(Output.text(m["state"])), Output.text(m["incarnation"]), Output.text(m["generation"]), seen]
            }
            print(Output.table(["NODE", "GOSSIP", "HTTP", "STATE", "INCARNATION", "GENERATION", "LAST SEEN"], rows))
            print("leader: \(Output.text(leader)) (* above), term \(Output.text(list["term"])), quorum \(Output.text(list["quorum"]))")
        }
    }
}
