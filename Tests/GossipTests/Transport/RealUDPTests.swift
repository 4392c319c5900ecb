import Gossip
import Logging
import Testing

/// Real sockets on 127.0.0.1 (port 0): only what sockets can show.
@Suite(.serialized) struct RealUDPTests {
    static func configuration(_ index: Int, seeds: [HostPort], keys: [String]) -> GossipConfiguration {
        GossipConfiguration(
            clusterName: "udp-test",
            identity: NodeIdentity(id: "n\(index)", generation: 1),
            bindAddress: HostPort(host: "127.0.0.1", port: 0),
            seeds: seeds,
            keys: keys
        )
    }

    /// Polls `condition` every 20 ms for at most `limit`; returns the elapsed time when it held.
    static func eventually(within limit: Duration, _ condition: () -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        for _ in 0..<Int(limit / .milliseconds(20)) {
            if condition() { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition() ? ContinuousClock.now - start : nil
    }

    @Test(.timeLimit(.minutes(1)))
    func membershipConvergesStoppedNodeIsDetectedAndUpdatesReachEveryone() async throws {
        let keys = [base64Encode([UInt8](repeating: 0x5A, count: 32))]
        let first = try GossipService(configuration: Self.configuration(1, seeds: [], keys: keys))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await first.run() }
            let seed = await first.boundAddress()
            var services = [first]
            for index in 2...4 {
                services.append(try GossipService(configuration: Self.configuration(index, seeds: [seed], keys: keys)))
            }
            let stopped = services[3]
            let stoppedTask = Task { try await stopped.run() }
            for service in services[1...2] { group.addTask { try await service.run() } }

            // Membership converges: everyone sees the three others alive.
            let converged = try await Self.eventually(within: .seconds(10)) {
                services.allSatisfy { $0.members().filter { $0.status == .alive }.count == 3 }
            }
            #expect(converged != nil)

            // An update written at one node reaches every other.
            let key = EntryKey(high: 0x1234, low: 0x5678)
            try services[1].set(key: key, value: [42, 1], stamp: 1_700_000_000_000)
            let replicated = try await Self.eventually(within: .seconds(5)) {
                services.allSatisfy { $0.entries(of: "n2")[key]?.value == [42, 1] }
            }
            #expect(replicated != nil)
            if let replicated { #expect(replicated < .seconds(1)) }

            // A node stopped without a goodbye is detected dead by every survivor.
            stoppedTask.cancel()
            _ = try? await stoppedTask.value
            let survivors = Array(services[0...2])
            let detected = try await Self.eventually(within: .seconds(15)) {
                survivors.allSatisfy { $0.members().first { $0.identity.id == "n4" }?.status == .dead }
            }
            #expect(detected != nil)
            if let detected { #expect(detected < .seconds(8)) }
            group.cancelAll()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func keyMismatchIsDroppedAndReportedOnceNamingThePeer() async throws {
        let first = try GossipService(configuration: Self.configuration(1, seeds: [], keys: [base64Encode([UInt8](repeating: 1, count: 32))]))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await first.run() }
            let seed = await first.boundAddress()
            let intruder = try GossipService(configuration: Self.configuration(2, seeds: [seed], keys: [base64Encode([UInt8](repeating: 2, count: 32))]))
            group.addTask { try await intruder.run() }
            var iterator = first.events.makeAsyncIterator()
            var mismatch: GossipEvent?
            while let event = await iterator.next() {
                if case .keyMismatch = event { mismatch = event; break }
            }
            #expect(mismatch.map { if case .keyMismatch(let peer, _) = $0 { peer.id == "n2" } else { false } } == true)
            #expect(first.members().isEmpty)
            group.cancelAll()
        }
    }
}
