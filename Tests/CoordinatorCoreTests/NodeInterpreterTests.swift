import CoordinatorCore
import Testing

/// The driver's decisions with no IO: requests answered after their write, a request parked
/// behind a write in flight and decided again, failures answered as "store unavailable", every
/// write of one step in one batch. Invariants are checked after every step.
@Suite struct NodeInterpreterTests {
    let id = ExecutionID(high: 4, low: 2)

    func interpreter() -> NodeInterpreter {
        let rule = SweepRule(heartbeatTimeoutMs: 300_000, checkIntervalMs: 120_000, maxStrikes: 3)
        return NodeInterpreter(core: NodeCore(settings: NodeCore.Settings(me: "n1", configured: ["n1"], rule: rule, started: 1_700_000_000_000, gossipValueBytes: 526)))
    }

    func at(_ ms: Int64) -> NodeNow { NodeNow(wall: WallTime(ms: 1_700_000_000_000 + ms), judge: JudgeTime(ms: ms)) }

    var heartbeat: NodeRequest { .heartbeat(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000)) }

    func check(_ interpreter: NodeInterpreter, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(interpreter.invariantViolation() == nil, sourceLocation: sourceLocation)
    }

    func appends(_ output: DriverOutput) -> [(BatchID, [DurableWrite])] {
        output.effects.compactMap { if case .append(let batch, let writes) = $0 { (batch, writes) } else { nil } }
    }

    @Test func aSecondFirstHeartbeatWaitsForTheRegistrationAndIsAnsweredFromIt() throws {
        var it = interpreter()
        let (first, registering) = it.submit(heartbeat, wallMs: 1_700_000_000_000, now: JudgeTime(ms: 0))
        let batch = try #require(appends(registering).first)
        #expect(batch.1.map(\.kind) == [.registration])
        #expect(registering.answers.isEmpty)
        check(it)
        let (second, parked) = it.submit(heartbeat, wallMs: 1_700_000_000_001, now: JudgeTime(ms: 1))
        #expect(parked.isEmpty)
        #expect(it.parkedCount == 1)
        check(it)
        let done = it.appended(batch.0, .success([LogPosition(segment: 1, offset: 0)]), now: at(5))
        #expect(Set(done.answers.map(\.request)) == [first, second])
        #expect(done.answers.allSatisfy { if case .success(.heartbeat(.success)) = $0.result { true } else { false } })
        #expect(appends(done).isEmpty)  // the second needed no write of its own
        #expect(it.parkedCount == 0 && it.batchesInFlight == 0)
        #expect(it.core.table[id]?.heartbeatCount == 2)
        check(it)
    }

    @Test func aFailedWriteAnswersStoreUnavailableAndTheWaiterWritesAgain() throws {
        var it = interpreter()
        let (first, registering) = it.submit(heartbeat, wallMs: 1_700_000_000_000, now: JudgeTime(ms: 0))
        let (second, _) = it.submit(heartbeat, wallMs: 1_700_000_000_001, now: JudgeTime(ms: 1))
        let batch = try #require(appends(registering).first)
        let failure = WriteFailure(.io, detail: "EIO")
        let failed = it.appended(batch.0, .failure(failure), now: at(5))
        #expect(failed.answers.count == 1)
        #expect(failed.answers.first?.request == first)
        #expect(failed.answers.first.map { if case .failure(let refusal) = $0.result { refusal.failure == failure } else { false } } == true)
        // The waiter is decided again: the execution is still unknown, so it registers it itself.
        let retry = try #require(appends(failed).first)
        #expect(retry.1.map(\.kind) == [.registration])
        #expect(it.core.table[id] == nil)
        check(it)
        let done = it.appended(retry.0, .success([LogPosition(segment: 1, offset: 0)]), now: at(9))
        #expect(done.answers.map(\.request) == [second])
        #expect(it.core.table[id]?.heartbeatCount == 1)
        check(it)
    }

    @Test func aReportOfFewerPositionsThanWritesFailsThemAndAnUnknownBatchChangesNothing() throws {
        var it = interpreter()
        let (request, registering) = it.submit(heartbeat, wallMs: 1_700_000_000_000, now: JudgeTime(ms: 0))
        let batch = try #require(appends(registering).first)
        #expect(it.appended(BatchID(value: 999), .success([]), now: at(1)).isEmpty)
        let done = it.appended(batch.0, .success([]), now: at(2))
        #expect(done.answers.map(\.request) == [request])
        #expect(done.answers.allSatisfy { if case .failure = $0.result { true } else { false } })
        #expect(it.core.table[id] == nil)
        check(it)
    }

    @Test func everyWriteOfOneStepGoesIntoOneBatch() {
        var it = interpreter()
        // The first tick of a lone node claims its term: one batch, the claim first.
        let output = it.step { $0.tick(now: at(0), alive: ["n1"], synced: true) }
        let batches = appends(output)
        #expect(batches.count == 1)
        #expect(batches.first?.1.first?.kind == .leadershipTerm)
        #expect(output.immediate.contains(.observe(.becameLeader(term: 1))))
        check(it)
    }

    /// An append that does not finish: its request is answered 503 after the request deadline,
    /// the store is stalled after the stall limit (the node stops leading, gossips so, refuses
    /// new durable requests at once); when the append lands the fact is applied, and the next
    /// check finds the store recovered.
    @Test func aStalledAppendAnswers503ThenStallsTheStoreThenRecovers() throws {
        var it = interpreter()
        var tick = it.step { $0.tick(now: at(0), alive: ["n1"], synced: true) }
        let claim = try #require(appends(tick).first)
        it.started(claim.0, at: JudgeTime(ms: 0))
        _ = it.appended(claim.0, .success([LogPosition(segment: 1, offset: 0)]), now: at(1))
        let (request, registering) = it.submit(heartbeat, wallMs: 1_700_000_000_010, now: JudgeTime(ms: 10))
        let batch = try #require(appends(registering).first)
        it.started(batch.0, at: JudgeTime(ms: 10))
        #expect(it.checkDeadlines(now: at(1_000)).isEmpty)
        let late = it.checkDeadlines(now: at(1_510))
        #expect(late.answers.map(\.request) == [request])
        #expect(late.answers.allSatisfy { if case .failure(let refusal) = $0.result { refusal.failure.code == .stalled } else { false } })
        #expect(!it.core.storeHealth.isStalled)
        check(it)
        let stalled = it.checkDeadlines(now: at(5_010))
        #expect(it.core.storeHealth.isStalled)
        #expect(stalled.immediate.contains(.observe(.storeStalled(batches: 1))))
        #expect(stalled.immediate.contains(.publish(GossipPublication(id: StoreHealthReport.id, value: [1, 1], stampMs: 1_700_000_005_010))))
        tick = it.step { $0.tick(now: at(5_020), alive: ["n1"], synced: true) }
        #expect(it.core.status.leader == nil)
        // A new first heartbeat is refused at once, with no write.
        let other = NodeRequest.heartbeat(Heartbeat(executionID: ExecutionID(high: 4, low: 3), containerID: "c", clientTimestamp: 1_700_000_005))
        let (_, refused) = it.submit(other, wallMs: 1_700_000_005_030, now: JudgeTime(ms: 5_030))
        #expect(appends(refused).isEmpty)
        #expect(refused.answers.count == 1 && refused.answers.allSatisfy { if case .failure = $0.result { true } else { false } })
        check(it)
        // The stalled append lands after all: the registration is applied (the client's retry finds it).
        _ = it.appended(batch.0, .success([LogPosition(segment: 1, offset: 1)]), now: at(9_000))
        #expect(it.core.table[id] != nil)
        let recovered = it.checkDeadlines(now: at(9_100))
        #expect(!it.core.storeHealth.isStalled)
        #expect(recovered.immediate.contains(.observe(.storeRecovered(stalledMs: 4_090))))
        // It leads again only after the store has answered for the recovery time.
        _ = it.step { $0.tick(now: at(9_200), alive: ["n1"], synced: true) }
        #expect(it.core.status.leader == nil)
        _ = it.step { $0.tick(now: at(19_200), alive: ["n1"], synced: true) }
        #expect(it.core.status.leader == "n1")
        check(it)
    }
}
