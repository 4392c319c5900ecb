import CoordinatorCore
import Testing
import VigilCodec
import VigilJSON

/// Finished executions keep their history: the terminal record carries the last heartbeat,
/// the count, the progress (and what else the API shows), so a restart from the records or from
/// a snapshot, and a peer that never saw a heartbeat, show the execution as the decider did.
@Suite struct HeartbeatHistoryTests {
    let completed = ExecutionID(high: 31, low: 1)
    let reportedByHeartbeat = ExecutionID(high: 31, low: 2)
    let marked = ExecutionID(high: 31, low: 3)
    let reportedByNotice = ExecutionID(high: 31, low: 4)
    let lost = ExecutionID(high: 31, low: 5)
    var all: [ExecutionID] { [completed, reportedByHeartbeat, marked, reportedByNotice, lost] }

    /// - Parameter startedMs: when the node started, ms after the test's epoch (a restarted node starts later).
    func core(_ me: String = "n1", nodes: [String] = ["n1"], startedMs: Int64 = 0) -> NodeCore {
        NodeCore(settings: NodeCore.Settings(
            me: me, configured: nodes, rule: SweepRule(heartbeatTimeoutMs: 1_000, checkIntervalMs: 500, maxStrikes: 2),
            started: WallTime(ms: 1_700_000_000_000 + startedMs), gossipValueBytes: 526
        ))
    }

    func at(_ ms: Int64) -> NodeNow { NodeNow(wall: WallTime(ms: 1_700_000_000_000 + ms), judge: JudgeTime(ms: ms)) }

    func progress(_ percent: Int64) throws -> Progress {
        try Progress(validating: ["percentage": .int(percent), "current_url": .string("https://example.org/\(percent)")])
    }

    /// Five executions end five ways on n1; returns the core and what it wrote.
    func finishFiveWays() throws -> (NodeCore, RecordingShell) {
        var core = core()
        var shell = RecordingShell()
        shell.submit(core.receive(Registration(executionID: lost, containerID: "never-beat"), now: at(0)), on: &core, at: at(0))
        for (i, t) in [0, 100, 200].enumerated() {
            for id in [completed, reportedByHeartbeat, marked, reportedByNotice] {
                let beat = Heartbeat(executionID: id, containerID: "host-\(id.low)", clientTimestamp: 1_700_000_000 + Int64(i), progress: try progress(Int64(10 * (i + 1))))
                shell.submit(core.receive(beat, now: at(Int64(t))), on: &core, at: at(Int64(t)))
            }
        }
        let result = CompactJSON.encode(.object(["items": .int(5)]))
        shell.submit(core.receive(Completion(executionID: completed, containerID: "host-1", success: true, resultData: result), now: at(300)), on: &core, at: at(300))
        let failing = Heartbeat(executionID: reportedByHeartbeat, containerID: "host-2", clientTimestamp: 1_700_000_001, status: .failed, progress: try progress(40))
        shell.submit(core.receive(failing, now: at(300)), on: &core, at: at(300))
        shell.submit(core.receive(Completion(executionID: reportedByNotice, containerID: "host-4", success: false, errorMessage: "disk full"), now: at(300)), on: &core, at: at(300))
        shell.tick(&core, from: 400, to: 5_000, alive: ["n1"], at: at)
        return (core, shell)
    }

    func shown(_ core: NodeCore) -> [Shown?] { all.map { core.table[$0].map(Shown.init) } }

    @Test func theDecidersViewIsWhatItsRecordsCarry() throws {
        let (core, _) = try finishFiveWays()
        #expect(core.invariantViolation() == nil)
        let views = shown(core)
        #expect(views.allSatisfy { $0?.status.isTerminal == true }, "\(views)")
        let mark = try #require(core.table[marked])
        #expect(mark.terminal?.source == .sweep)
        #expect(mark.heartbeatCount == 3)
        #expect(mark.lastHeartbeatMs == 1_700_000_000_200)
        #expect(mark.strikes == 2)
        #expect(mark.progress?.percentage == 30)
        let beat = try #require(core.table[reportedByHeartbeat])
        #expect(beat.heartbeatCount == 4)
        #expect(beat.progress?.percentage == 40)
        #expect(core.table[lost]?.heartbeatCount == 0)
        #expect(core.table[lost]?.containerID == "never-beat")
    }

    @Test func aRestartFromTheRecordsShowsTheSame() throws {
        let (live, shell) = try finishFiveWays()
        var restarted = core(startedMs: 60_000)
        _ = restarted.restore(shell.records, now: at(60_000))
        #expect(restarted.invariantViolation() == nil)
        #expect(shown(restarted) == shown(live))
    }

    @Test func aRestartFromASnapshotShowsTheSame() throws {
        let (live, _) = try finishFiveWays()
        let encoded = try #require(live.snapshot(generation: 2)).encoded
        let snapshot = try #require(NodeSnapshot(decoding: encoded))
        var restarted = core(startedMs: 60_000)
        _ = restarted.restore(snapshot, then: [], now: at(60_000))
        #expect(shown(restarted) == shown(live))
        // Heartbeats stamped before the restart age from their stamp, not from the restart.
        let age = JudgeTime(ms: 60_000) - (restarted.table[completed]?.seen ?? 0)
        #expect(age >= 59_000)
    }

    @Test func aPeerThatNeverSawAHeartbeatShowsTheDecidersView() throws {
        let (live, shell) = try finishFiveWays()
        var peer = core("n2", nodes: ["n1", "n2"])
        for record in shell.records { _ = peer.apply(stored: record, now: at(5_100)) }
        #expect(shown(peer) == shown(live))
    }

    @Test func aPeerThatSawFewerHeartbeatsTakesTheDecidersFigures() throws {
        let (live, shell) = try finishFiveWays()
        var peer = core("n2", nodes: ["n1", "n2"])
        // Gossip brought only the first heartbeat of `completed` (later versions collapsed).
        let first = HeartbeatEntry(status: .running, registeredAtMs: 1_700_000_000_000, clientTimestamp: 1_700_000_000, containerID: "host-1", progress: try progress(10))
        _ = peer.merge(remote: first, id: completed, origin: "n1", stampMs: 1_700_000_000_000, now: at(50))
        #expect(peer.table[completed]?.heartbeatCount == 1)
        for record in shell.records { _ = peer.apply(stored: record, now: at(5_100)) }
        #expect(peer.table[completed].map(Shown.init) == live.table[completed].map(Shown.init))
    }

    @Test func aTerminalFactRoundTripsWithItsHistory() throws {
        let history = HeartbeatHistory(
            registeredAtMs: 1_699_999_000_000, lastHeartbeatMs: 1_700_000_000_500, heartbeatCount: 1_234, strikes: 3, clientTimestamp: 1_700_000_002,
            containerID: "crawler-7", progress: try progress(99)
        )
        let fact = ExecutionFact.finished(
            id: marked, status: .failed, source: .sweep, finishedAtMs: 1_700_000_100_000, reason: "lost", resultData: nil, errorMessage: nil, history: history
        )
        #expect(ExecutionFact(kind: .failureMark, payload: fact.payload) == fact)
        let never = HeartbeatHistory(registeredAtMs: 1_700_000_000_000, lastHeartbeatMs: nil, heartbeatCount: 0)
        let quiet = ExecutionFact.finished(
            id: lost, status: .failed, source: .sweep, finishedAtMs: 1_700_000_001_000, reason: "never", resultData: nil, errorMessage: nil, history: never
        )
        #expect(ExecutionFact(kind: .failureMark, payload: quiet.payload) == quiet)
        // Compact: the history costs a few bytes beyond the container and the progress.
        let bare = ExecutionFact.finished(id: marked, status: .failed, source: .sweep, finishedAtMs: 1_700_000_100_000, reason: "lost", resultData: nil, errorMessage: nil)
        #expect(fact.payload.count - bare.payload.count <= 18 + "crawler-7".utf8.count + history.progress!.compact.count)
        // A damaged history makes the record unreadable, like any damaged payload.
        #expect(ExecutionFact(kind: .failureMark, payload: Array(fact.payload.dropLast())) == nil)
    }

    /// A completion as the previous version wrote it: no history after `error_message`.
    @Test func anOldFormatTerminalRecordStillReads() throws {
        let old: [UInt8] = [
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x80, 0xA0, 0xAB, 0xFE,
            0xF9, 0x62, 0x0A, 0x64, 0x69, 0x73, 0x6B, 0x20, 0x66, 0x75, 0x6C, 0x6C, 0x00, 0x0A, 0x64, 0x69, 0x73, 0x6B, 0x20, 0x66, 0x75, 0x6C, 0x6C,
        ]
        let fact = try #require(ExecutionFact(kind: .completion, payload: old))
        #expect(fact == .finished(
            id: ExecutionID(high: 1, low: 2), status: .failed, source: .completion, finishedAtMs: 1_700_000_000_000, reason: "disk full",
            resultData: nil, errorMessage: "disk full", history: nil
        ))
        #expect(fact.payload == old, "a fact with no history encodes as before")
        // Replayed after its registration, it keeps what the registration said.
        var table = ExecutionTable()
        table.apply(fact: .registered(id: ExecutionID(high: 1, low: 2), registeredAtMs: 1_699_999_000_000, containerID: "c"))
        table.apply(fact: fact)
        #expect(table[ExecutionID(high: 1, low: 2)]?.registeredAtMs == 1_699_999_000_000)
        #expect(table[ExecutionID(high: 1, low: 2)]?.lastHeartbeatMs == nil)
        #expect(table.checkInvariants())
    }

    @Test func aHistoryNeverMakesAKnownHeartbeatOlder() throws {
        var table = ExecutionTable()
        let id = marked
        _ = table.apply(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1), nowMs: 1_000)
        _ = table.apply(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 2), nowMs: 5_000)
        let stale = HeartbeatHistory(registeredAtMs: 1_000, lastHeartbeatMs: 1_000, heartbeatCount: 1, strikes: 2, containerID: "c")
        table.apply(fact: .finished(id: id, status: .failed, source: .sweep, finishedAtMs: 6_000, reason: "x", resultData: nil, errorMessage: nil, history: stale))
        #expect(table[id]?.status == .failed)
        #expect(table[id]?.lastHeartbeatMs == 5_000, "this node's newer heartbeat is kept")
        #expect(table[id]?.heartbeatCount == 2)
        let revoked = table.revokeMark(id)
        #expect(revoked)
        #expect(table[id]?.lastHeartbeatMs == 5_000)
    }
}
