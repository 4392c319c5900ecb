import CoordinatorCore
import Testing

/// The prober inside the node core: only the leader probes, the pause flag (seed 002's
/// start/stop) stops it, `HEARTBEAT_AUTO_START` off waits for a start, and the durable
/// service states survive a snapshot.
@Suite struct ProbeCoreTests {
    func core(autoStart: Bool = true, nodes: [String] = ["n1"]) -> NodeCore {
        var settings = NodeCore.Settings(me: "n1", configured: nodes, started: 1_700_000_000_000, gossipValueBytes: 526)
        var rule = ServiceRule(name: "api")
        rule.intervalMs = 1_000
        rule.repairable = true
        settings.services = [rule]
        settings.probeAutoStart = autoStart
        return NodeCore(settings: settings)
    }

    func at(_ ms: Int64) -> NodeNow { NodeNow(wall: WallTime(ms: 1_700_000_000_000 + ms), judge: JudgeTime(ms: ms)) }

    /// Makes every write durable at once.
    func land(_ actions: [NodeAction], in core: inout NodeCore, at now: NodeNow) -> [NodeAction] {
        var rest: [NodeAction] = []
        for action in actions {
            if case .write(let ticket, _) = action {
                rest += land(core.written(ticket, at: LogPosition(segment: 1, offset: 0), now: now).actions, in: &core, at: now)
            } else {
                rest.append(action)
            }
        }
        return rest
    }

    func lead(_ core: inout NodeCore, at t: Int64) {
        _ = land(core.tick(now: at(t), alive: ["n1"], synced: true), in: &core, at: at(t))
        core.noteStoreRead(at: JudgeTime(ms: t))
    }

    func probes(_ core: inout NodeCore, from: Int64, to: Int64) -> Int {
        var count = 0
        var t = from
        while t <= to {
            for request in core.probesDue(now: at(t)).requests {
                count += 1
                _ = land(core.probed(request, result: ProbeResult(healthy: true, latencyMs: 2, detail: "HTTP 200"), now: at(t)), in: &core, at: at(t))
            }
            t += 100
        }
        return count
    }

    @Test func onlyTheLeaderProbesAndStopStartControlsIt() {
        var c = core(nodes: ["n1", "n2", "n3"])
        // Alone of three: no quorum, no leadership, no probes.
        _ = land(c.tick(now: at(0), alive: ["n1"], synced: true), in: &c, at: at(0))
        #expect(probes(&c, from: 0, to: 3_000) == 0)
        _ = land(c.tick(now: at(3_100), alive: ["n1", "n2"], synced: true), in: &c, at: at(3_100))
        c.noteStoreRead(at: JudgeTime(ms: 3_100))
        #expect(probes(&c, from: 3_200, to: 6_100) == 3)
        // POST /admin/heartbeat/stop: the pause flag stops the prober with the sweep.
        guard case .write(let ticket, _) = c.setPaused(true, now: at(6_200)) else { Issue.record("pause must be written"); return }
        _ = c.written(ticket, at: LogPosition(segment: 1, offset: 9), now: at(6_200))
        #expect(c.probePaused)
        #expect(probes(&c, from: 6_300, to: 9_000) == 0)
        guard case .write(let again, _) = c.setPaused(false, now: at(9_100)) else { return }
        _ = c.written(again, at: LogPosition(segment: 1, offset: 10), now: at(9_100))
        #expect(probes(&c, from: 9_200, to: 12_100) >= 2)
    }

    @Test func withoutAutoStartTheProberWaitsForAStart() {
        var c = core(autoStart: false)
        lead(&c, at: 0)
        #expect(c.probePaused)
        #expect(probes(&c, from: 0, to: 3_000) == 0)
        guard case .write(let ticket, _) = c.setPaused(false, now: at(3_100)) else { return }
        _ = c.written(ticket, at: LogPosition(segment: 1, offset: 3), now: at(3_100))
        #expect(!c.probePaused)
        #expect(probes(&c, from: 3_200, to: 6_100) >= 2)
    }

    @Test func aFailingServiceIsRepairedOnceItsStartIsDurableAndTheStateSurvivesASnapshot() throws {
        var c = core()
        lead(&c, at: 0)
        var repairs: [RepairRequest] = []
        var t: Int64 = 100
        while t <= 5_000 {
            for request in c.probesDue(now: at(t)).requests {
                let actions = land(c.probed(request, result: ProbeResult(healthy: false, latencyMs: 5, detail: "connection refused"), now: at(t)), in: &c, at: at(t))
                for case .repair(let repair) in actions { repairs.append(repair) }
            }
            t += 100
        }
        #expect(repairs == [RepairRequest(service: "api", number: 1)])
        #expect(c.prober.states["api"]?.repairing == true)
        #expect(c.outbox.pending.isEmpty, "no channels: no notifications owed")
        let snapshot = try #require(c.snapshot(generation: 1))
        let decoded = try #require(NodeSnapshot(decoding: snapshot.encoded))
        #expect(decoded == snapshot)
        var restored = core()
        _ = restored.restore(decoded, then: [], now: at(6_000))
        #expect(restored.prober.states["api"] == c.prober.states["api"])
    }
}
