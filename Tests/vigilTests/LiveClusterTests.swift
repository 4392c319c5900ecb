import Foundation
import Testing
import VigilTestSupport
import CoordinatorCore

/// Three real `vigil serve` processes on loopback, inspected with the real `vigil` CLI.
@Suite(.serialized) struct LiveClusterTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = ProcessInfo.processInfo.environment["VIGIL_BINARY"] ?? repoRoot.appendingPathComponent(".build/debug/vigil").path

    /// Free loopback ports (bound to port 0, read back, released).
    static func freePorts(_ count: Int, udp: Bool) -> [Int] {
        (0..<count).map { _ in
            let fd = socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutablePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(fd, $0, length) }
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
            }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }

    /// Runs `vigil ARGS`, returning exit status, stdout and stderr.
    static func vigil(_ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    @Test func membersStatusAndMarksAgainstAThreeNodeCluster() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let http = Self.freePorts(3, udp: false)
        let gossip = Self.freePorts(3, udp: true)
        let nodes = (0..<3).map { #"{"id":"n\#($0 + 1)","http":"127.0.0.1:\#(http[$0])","gossip":"127.0.0.1:\#(gossip[$0])"}"# }
        let config = dir.appendingPathComponent("cluster.json")
        try #"{"cluster":"live-test","nodes":[\#(nodes.joined(separator: ","))],"store":{"path":"\#(dir.path)/store"},"executions":{"heartbeat_timeout_s":2,"check_interval_s":0.5}}"#.write(to: config, atomically: true, encoding: .utf8)

        var servers: [RunningServer] = []
        defer { servers.forEach { $0.stop() } }
        for id in ["n1", "n2", "n3"] {
            let server = try RunningServer(binary: URL(fileURLWithPath: Self.binary), arguments: ["serve", "--config", config.path, "--node", id])
            servers.append(server)
            _ = try await server.waitForURL(timeout: .seconds(30))
        }
        let n1 = "127.0.0.1:\(http[0])"

        // Every node alive as n1 sees it (membership converges within a few seconds).
        var table = ""
        for _ in 0..<50 {
            table = try Self.vigil(["members", "--node", n1]).1
            if table.components(separatedBy: " alive ").count - 1 == 3 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(table.components(separatedBy: " alive ").count - 1 == 3, "\(table)")
        let (jsonStatus, json, _) = try Self.vigil(["members", "--node", n1, "--format", "json"])
        #expect(jsonStatus == 0)
        #expect(json.contains(#""id":"n3""#) && json.contains(#""quorum":"#))

        // A heartbeat sent by hand to n2 shows up on n3, with its progress.
        let id = UUID().uuidString.lowercased()
        let (beatCode, beatText, _) = try Self.vigil(["beat", "--node", "127.0.0.1:\(http[1])", "--execution-id", id, "--container-id", "c1", "--progress", #"{"percentage": 45}"#])
        #expect(beatCode == 0 && beatText.hasPrefix("heartbeat accepted for \(id)"), "\(beatText)")
        var listed = ""
        for _ in 0..<25 where !listed.contains(id) {
            listed = try Self.vigil(["executions", "--node", "127.0.0.1:\(http[2])"]).1
            if !listed.contains(id) { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(listed.contains(id) && listed.contains("45.0%"), "\(listed)")
        let detail = try Self.vigil(["execution", id, "--node", "127.0.0.1:\(http[2])"]).1
        #expect(detail.contains("running") && detail.contains("45.0%") && detail.contains("c1"), "\(detail)")

        // Silence: the leader marks it (timeout 2 s, three checks 0.5 s apart); every node shows it.
        var failed = false
        for _ in 0..<100 where !failed {
            try await Task.sleep(for: .milliseconds(100))
            failed = try Self.vigil(["executions", "--node", n1, "--status", "failed", "--format", "json"]).1.contains(id)
        }
        #expect(failed, "not marked FAILED at n1 within 10 s")
        // n3 learns the mark from the store within a poll (200 ms).
        var onN3 = ""
        for _ in 0..<30 where !onN3.contains("failed") {
            onN3 = try Self.vigil(["execution", id, "--node", "127.0.0.1:\(http[2])"]).1
            if !onN3.contains("failed") { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(onN3.contains("failed") && onN3.contains("Heartbeat timed out 3 consecutive checks"), "\(onN3)")

        // Pause on n1 is seen by n2 (replicated through the store); resume from n2.
        #expect(try Self.vigil(["pause", "--node", n1]).0 == 0)
        var paused = false
        for _ in 0..<30 where !paused {
            try await Task.sleep(for: .milliseconds(100))
            paused = try Self.vigil(["status", "--node", "127.0.0.1:\(http[1])"]).1.contains("paused")
        }
        #expect(paused, "n2 did not show the pause within 3 s")
        #expect(try Self.vigil(["resume", "--node", "127.0.0.1:\(http[1])"]).0 == 0)

        // n3 stops (SIGKILL): the others see it dead.
        kill(servers[2].process.processIdentifier, SIGKILL)
        var dead = false
        for _ in 0..<75 where !dead {
            try await Task.sleep(for: .milliseconds(200))
            dead = try Self.vigil(["members", "--node", n1, "--format", "json"]).1.contains(#""id":"n3","gossip":"127.0.0.1:\#(gossip[2])","http":"127.0.0.1:\#(http[2])","state":"dead""#)
        }
        #expect(dead, "n3 not dead at n1 within 15 s")

        // status answers; an unreachable node is exit 1 with one clear line.
        let (statusCode, statusText, _) = try Self.vigil(["status", "--node", n1])
        #expect(statusCode == 0)
        #expect(statusText.contains("cluster live-test"))
        let (downCode, _, downError) = try Self.vigil(["status", "--node", "127.0.0.1:\(http[2])"])
        #expect(downCode == 1)
        #expect(downError.hasPrefix("vigil: cannot reach http://127.0.0.1:\(http[2])"))
        #expect(downError.split(separator: "\n").count == 1)

        // marks from the store files equal marks from a node.
        let fromNode = try Self.vigil(["marks", "--node", n1, "--format", "json"]).1
        let fromStore = try Self.vigil(["marks", "--store", dir.path + "/store", "--format", "json"]).1
        #expect(fromNode == fromStore)
        #expect(fromNode.contains(id))
        for server in servers.prefix(2) { _ = try await server.terminate(timeout: .seconds(10)) }
    }
}
