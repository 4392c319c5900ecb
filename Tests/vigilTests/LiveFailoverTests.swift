import Coordinator
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Store
import Testing
import VigilTestSupport
import CoordinatorCore
import VigilJSON

/// Failover against three real `vigil serve` processes on loopback, with short timings
/// (heartbeat timeout 2 s, a check every 0.5 s, 3 strikes, gossip every 0.1 s).
///
/// A heartbeat taken by one node reaches the others through gossip, the leader judges the
/// silence, and its verdict reaches every node through the store; a leader killed in the middle
/// of a count is replaced, the new leader continues the count, the execution is marked exactly
/// once, and the killed node, restarted, rejoins and leads again.
///
/// Every wait is a poll with a deadline. When a check fails the nodes' logs (their stderr) are
/// printed and the cluster's directory is kept.
@Suite(.serialized) struct LiveFailoverTests {
    static let timeout = 2.0
    static let interval = 0.5

    @Test func heartbeatToN2IsVisibleOnN3AndSilenceIsMarkedEverywhere() async throws {
        let cluster = try LiveCluster(name: "gossip")
        defer { cluster.close() }
        for id in LiveCluster.ids { try await cluster.start(id) }
        let agreed = await cluster.agreedLeader(within: .seconds(30))
        cluster.check(agreed?.leader == "n1", "three nodes did not agree on leader n1 within 30 s: \(agreed.map { "\($0)" } ?? "no agreement")")
        guard agreed != nil else { return }

        // Heartbeats to n2 every 0.3 s for ~2 s; n3 must show the execution running within 1 s.
        let a = UUID().uuidString.lowercased()
        let first = ContinuousClock.now
        var lastSent = first
        var lastAcked = first
        var beats = 0
        var visibleOnN3: Duration?
        while beats < 7 {
            let now = ContinuousClock.now
            if now >= first + .milliseconds(300 * beats) {
                lastSent = now
                let code = await LiveCluster.heartbeat(a, port: cluster.port("n2"))
                lastAcked = .now
                cluster.check(code == 200, "heartbeat \(beats + 1) to n2 answered \(code.map(String.init) ?? "nothing")")
                beats += 1
                continue
            }
            if visibleOnN3 == nil, let view = await cluster.execution(a, on: "n3"), view["status"] as? String == "running" {
                visibleOnN3 = ContinuousClock.now - first
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        cluster.check(visibleOnN3 != nil && visibleOnN3! <= .seconds(1), "n3 did not show the execution running within 1 s of the first heartbeat to n2 (seen after \(visibleOnN3.map { "\($0)" } ?? "never, within 2 s"))")

        // Refreshes live only in memory and gossip: n3 must hold n2's newest heartbeat.
        let newestOnN2 = LiveCluster.int(await cluster.execution(a, on: "n2")?["last_heartbeat_ms"])
        let synced = await LiveCluster.poll(until: .now + .seconds(1)) { () async -> Int? in
            let onN3 = LiveCluster.int(await cluster.execution(a, on: "n3")?["last_heartbeat_ms"])
            return onN3 != nil && onN3 == newestOnN2 ? onN3 : nil
        }
        cluster.check(newestOnN2 != nil && synced != nil, "n3 did not receive n2's newest heartbeat (\(newestOnN2.map(String.init) ?? "none") ms) through gossip within 1 s")

        // Silence: FAILED on every node, not before timeout + 1 interval, within timeout + 3 intervals + 2 s.
        let deadline = lastAcked + .seconds(Self.timeout + 3 * Self.interval + 2)
        var failedAt: [String: ContinuousClock.Instant] = [:]
        var views: [String: [String: Any]] = [:]
        while failedAt.count < 3, ContinuousClock.now < deadline {
            for id in LiveCluster.ids where failedAt[id] == nil {
                if let view = await cluster.execution(a, on: id), view["status"] as? String != "running" {
                    failedAt[id] = .now
                    views[id] = view
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        var timings: [String] = []
        for id in LiveCluster.ids {
            guard let at = failedAt[id], let view = views[id] else {
                let view = await cluster.execution(a, on: id).map { "\($0)" } ?? "none"
                cluster.check(false, "\(id) did not mark the execution within \(Self.timeout + 3 * Self.interval + 2) s of the last heartbeat; its view: \(view)")
                continue
            }
            timings.append("\(id) \(at - lastSent)")
            cluster.check(view["status"] as? String == "failed", "\(id) shows status \(view["status"] ?? "nil"), expected failed")
            cluster.check(at - lastSent >= .seconds(Self.timeout + Self.interval), "\(id) showed the execution failed only \(at - lastSent) after the last heartbeat (rule: not before timeout + 1 interval)")
            cluster.check(view["finished_by"] as? String == "sweep", "\(id): finished_by \(view["finished_by"] ?? "nil"), expected sweep")
            let reason = view["failure_reason"] as? String ?? ""
            cluster.check(reason.hasPrefix("Heartbeat timed out 3 consecutive checks (timeout 2 s, check every 0.5 s); lost"), "\(id): reason does not state the rule: \(reason)")
            cluster.check(reason.contains("marked by leader n1, term "), "\(id): reason does not name leader n1: \(reason)")
        }
        let reasons = Set(views.values.compactMap { $0["failure_reason"] as? String })
        cluster.check(reasons.count <= 1, "the nodes hold different failure reasons (more than one mark?): \(reasons)")
        for id in LiveCluster.ids {
            let listed = await cluster.marks(on: id).filter { $0 == a }.count
            cluster.check(listed == 1, "\(id)'s /api/v1/marks lists the execution \(listed) times")
        }
        print("LiveFailoverTests gossip: visible on n3 after \(visibleOnN3.map { "\($0)" } ?? "-"); failed after last heartbeat: \(timings.joined(separator: ", "))")
        try await cluster.finish()
    }

    @Test func killingTheLeaderMidCountStillMarksOnce() async throws {
        let cluster = try LiveCluster(name: "kill")
        defer { cluster.close() }
        for id in LiveCluster.ids { try await cluster.start(id) }
        let agreed = await cluster.agreedLeader(within: .seconds(30))
        cluster.check(agreed?.leader == "n1", "three nodes did not agree on leader n1 within 30 s: \(agreed.map { "\($0)" } ?? "no agreement")")
        guard let agreed, agreed.leader == "n1" else { return }

        // A few heartbeats to n3, so A's heartbeats do not live only on the leader.
        let a = UUID().uuidString.lowercased()
        var lastSent = ContinuousClock.now
        var lastAcked = lastSent
        for beat in 0..<3 {
            if beat > 0 { try await Task.sleep(for: .milliseconds(300)) }
            lastSent = .now
            let code = await LiveCluster.heartbeat(a, port: cluster.port("n3"))
            lastAcked = .now
            cluster.check(code == 200, "heartbeat \(beat + 1) to n3 answered \(code.map(String.init) ?? "nothing")")
        }
        for id in ["n1", "n2"] {
            let known = await LiveCluster.poll(until: lastAcked + .seconds(1)) { await cluster.execution(a, on: id)?["status"] as? String == "running" ? true : nil }
            cluster.check(known != nil, "\(id) did not learn A from n3 within 1 s")
        }

        // The leader's first strike (due within timeout + 1 interval of the silence), then SIGKILL.
        var leaderView: [String: Any] = [:]
        let strikeDeadline = lastAcked + .seconds(Self.timeout + Self.interval + 1)
        while ContinuousClock.now < strikeDeadline {
            if let view = await cluster.execution(a, on: "n1") {
                leaderView = view
                if (LiveCluster.int(view["strikes"]) ?? 0) >= 1 || view["status"] as? String != "running" { break }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let strikesAtKill = LiveCluster.int(leaderView["strikes"]) ?? 0
        cluster.check(strikesAtKill >= 1, "leader n1 had not struck A \(Self.timeout + Self.interval + 1) s after its last heartbeat: \(leaderView)")
        cluster.check(leaderView["status"] as? String == "running", "A was no longer running on n1 before the kill (too late to test failover): \(leaderView)")
        let killedAfter = ContinuousClock.now - lastSent
        let killWall = Date()
        try await cluster.kill("n1")
        let killed = ContinuousClock.now

        // The survivors elect n2, which continues the count: A FAILED on both, marked by n2.
        let bound = Self.timeout + 4 * Self.interval + 6
        let deadline = lastAcked + .seconds(bound)
        var failedAt: [String: ContinuousClock.Instant] = [:]
        var views: [String: [String: Any]] = [:]
        while failedAt.count < 2, ContinuousClock.now < deadline {
            for id in ["n2", "n3"] where failedAt[id] == nil {
                if let view = await cluster.execution(a, on: id), view["status"] as? String != "running" {
                    failedAt[id] = .now
                    views[id] = view
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        for id in ["n2", "n3"] {
            guard let view = views[id] else {
                let members = await LiveCluster.get("/api/v1/cluster/members", port: cluster.port(id))?.json.map { "\($0)" } ?? "none"
                let view = await cluster.execution(a, on: id).map { "\($0)" } ?? "none"
                cluster.check(false, "\(id) did not show A failed within \(bound) s of its last heartbeat (n1 killed \(killedAfter) after it, with \(strikesAtKill) strike(s)); its view: \(view); members: \(members)")
                continue
            }
            cluster.check(view["status"] as? String == "failed", "\(id) shows status \(view["status"] ?? "nil"), expected failed")
        }
        let reason = views["n2"]?["failure_reason"] as? String ?? ""
        if !views.isEmpty {
            cluster.check(reason.hasPrefix("Heartbeat timed out 3 consecutive checks"), "reason does not state the rule: \(reason)")
            cluster.check(reason.contains("marked by leader n2, term "), "A was not marked by the new leader n2: \(reason)")
            let strikeTimes = LiveCluster.strikeTimes(in: reason)
            cluster.check(strikeTimes.count == 3, "reason lists \(strikeTimes.count) strike times, expected 3: \(reason)")
            let beforeKill = strikeTimes.filter { $0 < killWall }.count
            cluster.check(beforeKill >= strikesAtKill, "the new leader did not continue n1's count: \(beforeKill) strike time(s) before the kill, n1 had \(strikesAtKill): \(reason)")
            cluster.check(Set(views.values.compactMap { $0["failure_reason"] as? String }).count == 1, "n2 and n3 hold different failure reasons: \(views)")
        }

        // n1 restarted (a new process, same config): rejoins, leads again, sees A failed.
        let restarted = ContinuousClock.now
        try await cluster.start("n1")
        let rejoined = await cluster.agreedLeader(within: .seconds(10) - (ContinuousClock.now - restarted))
        cluster.check(rejoined?.leader == "n1", "after n1's restart the three nodes did not agree on leader n1 within 10 s: \(rejoined.map { "\($0)" } ?? "no agreement")")
        cluster.check((rejoined?.term ?? 0) > agreed.term + 1, "term did not move past n2's term after n1 rejoined: first \(agreed.term), now \(rejoined.map { "\($0.term)" } ?? "-")")
        let rejoinedAfter = ContinuousClock.now - restarted
        let n1View = await cluster.execution(a, on: "n1")
        cluster.check(n1View?["status"] as? String == "failed", "restarted n1 does not show A failed: \(n1View.map { "\($0)" } ?? "none")")
        cluster.check(n1View?["failure_reason"] as? String == reason, "restarted n1 holds another reason: \(n1View?["failure_reason"] ?? "nil") vs \(reason)")

        // Let n1 sweep as leader at least once, then count: exactly one failure mark for A.
        let swept = await LiveCluster.poll(until: .now + .seconds(5)) { () async -> [String: Any]? in
            guard let s = await LiveCluster.get("/admin/heartbeat/status", port: cluster.port("n1"))?.json,
                LiveCluster.bool(s["sweeping"]) == true, s["last_sweep"] is [String: Any] else { return nil }
            return s
        }
        cluster.check(swept != nil, "restarted n1 did not sweep as leader within 5 s")
        cluster.check(LiveCluster.int(swept?["marked_total"]) == 0, "restarted n1 marked something again: \(swept.map { "\($0)" } ?? "none")")
        let inStore = try LiveCluster.failureMarks(in: cluster.storePath, for: a)
        cluster.check(inStore.count == 1, "the store holds \(inStore.count) failure_mark records for A (written by \(inStore.map { "\($0.node) term \($0.term)" })), expected 1")
        let (code, cli, cliError) = try LiveClusterTests.vigil(["marks", "--store", cluster.storePath, "--format", "json"])
        let cliMarks = ((try? JSONSerialization.jsonObject(with: Data(cli.utf8))) as? [String: Any])?["marks"] as? [[String: Any]] ?? []
        cluster.check(code == 0 && cliMarks.filter { $0["execution_id"] as? String == a }.count == 1, "vigil marks --store: exit \(code), \(cli) \(cliError)")
        for id in LiveCluster.ids {
            let listed = await cluster.marks(on: id).filter { $0 == a }.count
            cluster.check(listed == 1, "\(id)'s /api/v1/marks lists A \(listed) times")
        }
        let timings = ["n2", "n3"].compactMap { id in failedAt[id].map { "\(id) \($0 - lastSent) after the last heartbeat, \($0 - killed) after the kill" } }
        print("LiveFailoverTests kill: n1 killed \(killedAfter) after the last heartbeat with \(strikesAtKill) strike(s); failed on \(timings.joined(separator: "; ")); rejoined \(rejoinedAfter) after the restart")
        try await cluster.finish()
    }
}

/// Three `vigil serve` processes of one configuration, with their logs (stderr) in files.
final class LiveCluster: @unchecked Sendable {
    static let ids = ["n1", "n2", "n3"]

    let dir: URL
    let config: URL
    let storePath: String
    let httpPorts: [String: Int]
    private(set) var servers: [String: RunningServer] = [:]
    private var logs: [FileHandle] = []
    private var failed = false
    private var finished = false

    init(name: String) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-failover-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("logs"), withIntermediateDirectories: true)
        storePath = dir.appendingPathComponent("store").path
        let http = LiveClusterTests.freePorts(3, udp: false)
        let gossip = LiveClusterTests.freePorts(3, udp: true)
        httpPorts = Dictionary(uniqueKeysWithValues: Self.ids.enumerated().map { ($1, http[$0]) })
        let nodes = Self.ids.enumerated().map { #"{"id":"\#($1)","http":"127.0.0.1:\#(http[$0])","gossip":"127.0.0.1:\#(gossip[$0])"}"# }
        config = dir.appendingPathComponent("cluster.json")
        try #"""
            {"cluster":"live-failover","nodes":[\#(nodes.joined(separator: ","))],"store":{"path":"\#(storePath)"},
             "executions":{"heartbeat_timeout_s":2,"check_interval_s":0.5,"max_strikes":3},"gossip":{"interval_s":0.1},"timezone":"UTC"}
            """#.write(to: config, atomically: true, encoding: .utf8)
    }

    func port(_ id: String) -> Int { httpPorts[id]! }

    /// Starts node `id` (again, after a kill: a new process) and waits until it listens.
    func start(_ id: String) async throws {
        let log = dir.appendingPathComponent("logs/\(id).log")
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        handle.write(Data("=== vigil serve --node \(id) started \(Date()) ===\n".utf8))
        logs.append(handle)
        let server = try RunningServer(
            binary: URL(fileURLWithPath: LiveClusterTests.binary), arguments: ["serve", "--config", config.path, "--node", id], standardError: handle
        )
        servers[id] = server
        _ = try await server.waitForURL(timeout: .seconds(30))
    }

    /// SIGKILL: the node crashes, with no graceful shutdown.
    func kill(_ id: String) async throws {
        try await servers[id]?.killAndWait(timeout: .seconds(5))
        logs.last?.write(Data("=== SIGKILL to \(id) \(Date()) ===\n".utf8))
    }

    /// Records a failed check (the logs are then printed and kept).
    func check(_ condition: Bool, _ message: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard !condition else { return }
        failed = true
        Issue.record(Comment(rawValue: message()), sourceLocation: sourceLocation)
    }

    /// SIGTERM to every running node; each must exit 0.
    func finish() async throws {
        for id in Self.ids {
            guard let server = servers[id], server.process.isRunning else { continue }
            let status = try await server.terminate(timeout: .seconds(10))
            check(status == 0, "\(id) exited \(status) on SIGTERM")
        }
        finished = true
    }

    /// Kills what still runs; removes the directory, or prints the logs and keeps it when a check failed.
    func close() {
        for server in servers.values { server.stop() }
        for handle in logs { try? handle.close() }
        guard failed || !finished else {
            try? FileManager.default.removeItem(at: dir)
            return
        }
        for id in Self.ids {
            let text = (try? String(contentsOf: dir.appendingPathComponent("logs/\(id).log"), encoding: .utf8)) ?? ""
            print("---- \(id) log (last 60 lines) ----\n" + text.split(separator: "\n").suffix(60).joined(separator: "\n"))
        }
        print("LiveFailoverTests: kept \(dir.path)")
    }

    /// Waits until every node in `nodes` sees all of them alive, has quorum, and all name the same leader.
    func agreedLeader(nodes: [String] = LiveCluster.ids, within: Duration) async -> (leader: String, term: Int)? {
        await Self.poll(until: .now + within) { () async -> (leader: String, term: Int)? in
            var leaders = Set<String>()
            var term = 0
            for id in nodes {
                guard let m = await Self.get("/api/v1/cluster/members", port: self.port(id))?.json,
                    let leader = m["leader"] as? String, Self.bool(m["quorum"]) == true
                else { return nil }
                let members = m["members"] as? [[String: Any]] ?? []
                let alive = Set(members.filter { $0["state"] as? String == "alive" }.compactMap { $0["id"] as? String })
                guard Set(nodes).isSubset(of: alive) else { return nil }
                leaders.insert(leader)
                term = max(term, Self.int(m["term"]) ?? 0)
            }
            return leaders.count == 1 ? (leaders.first!, term) : nil
        }
    }

    /// Node `id`'s view of an execution; `nil` when unknown there or unreachable.
    func execution(_ executionID: String, on id: String) async -> [String: Any]? {
        guard let (status, json) = await Self.get("/api/v1/executions/\(executionID)", port: port(id)), status == 200 else { return nil }
        return json
    }

    /// The execution ids node `id` lists as failure marks.
    func marks(on id: String) async -> [String] {
        let list = await Self.get("/api/v1/marks?limit=1000", port: port(id))?.json?["marks"] as? [[String: Any]] ?? []
        return list.compactMap { $0["execution_id"] as? String }
    }

    static func get(_ path: String, port: Int) async -> (status: Int, json: [String: Any]?)? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 2
        guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
        return (http.statusCode, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any])
    }

    /// Posts one running heartbeat; the HTTP status, or `nil` when the node did not answer.
    static func heartbeat(_ executionID: String, port: Int) async -> Int? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/monitoring/heartbeat")!)
        request.httpMethod = "POST"
        request.timeoutInterval = 2
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(
            #"{"execution_id":"\#(executionID)","container_id":"c1","status":"running","progress":{"percentage":10.0},"timestamp":\#(Int(Date().timeIntervalSince1970))}"#.utf8
        )
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    /// Calls `body` every 100 ms until it returns a value or `deadline` passes.
    static func poll<T>(until deadline: ContinuousClock.Instant, _ body: () async -> T?) async -> T? {
        while true {
            if let value = await body() { return value }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The `strikes at …` times of a failure reason.
    static func strikeTimes(in reason: String) -> [Date] {
        guard let start = reason.range(of: "strikes at ") else { return [] }
        let rest = reason[start.upperBound...]
        let list = rest[..<(rest.range(of: ";")?.lowerBound ?? rest.endIndex)]
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return list.components(separatedBy: ", ").compactMap { formatter.date(from: $0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The raw `failure_mark` records for an execution in the store files (duplicates included,
    /// unlike `vigil marks --store`, which shows the first only).
    static func failureMarks(in store: String, for executionID: String) throws -> [StoreRecord] {
        try StoreReader(root: store).replay().records.filter {
            DurableKind($0.type) == .failureMark && ExecutionFact(type: $0.type, payload: $0.payload)?.executionID.description == executionID
        }
    }

    static func int(_ value: Any?) -> Int? {
        if let i = value as? Int { return i }
        if let n = value as? NSNumber { return n.intValue }
        return nil
    }

    static func bool(_ value: Any?) -> Bool? {
        if let b = value as? Bool { return b }
        if let n = value as? NSNumber { return n.boolValue }
        return nil
    }
}
