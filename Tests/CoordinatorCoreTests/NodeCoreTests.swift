import CoordinatorCore
import Testing
import VigilCodec

/// The node core with no IO: requests, durable writes reported by hand, store records, ticks.
/// Invariants are checked after every step.
@Suite struct NodeCoreTests {
    let id = ExecutionID(high: 9, low: 9)

    func core(_ me: String = "n1", nodes: [String] = ["n1"], rule: SweepRule = SweepRule(heartbeatTimeoutMs: 300_000, checkIntervalMs: 120_000, maxStrikes: 3)) -> NodeCore {
        NodeCore(settings: NodeCore.Settings(me: me, configured: nodes, rule: rule, started: 1_700_000_000_000, gossipValueBytes: 526))
    }

    func at(_ ms: Int64) -> NodeNow { NodeNow(wall: WallTime(ms: 1_700_000_000_000 + ms), judge: JudgeTime(ms: ms)) }

    func heartbeat(_ status: ExecutionStatus = .running) -> Heartbeat {
        Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000, status: status)
    }

    func check(_ core: NodeCore, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(core.invariantViolation() == nil, sourceLocation: sourceLocation)
    }

    /// Makes every write in `actions` durable at once; returns the kinds written.
    @discardableResult
    func persistAll(_ actions: [NodeAction], in core: inout NodeCore, at now: NodeNow, offset: inout Int) -> [DurableKind] {
        var kinds: [DurableKind] = []
        for case .write(let ticket, let write) in actions {
            kinds.append(write.kind)
            offset += 1
            let more = core.written(ticket, at: LogPosition(segment: 1, offset: offset), now: now).actions
            kinds += persistAll(more, in: &core, at: now, offset: &offset)
        }
        return kinds
    }

    @Test func twoFirstHeartbeatsAtOnceRegisterOnce() throws {
        var core = core()
        guard case .write(let ticket, let write) = core.receive(heartbeat(), now: at(0)) else { Issue.record("first heartbeat must be written"); return }
        #expect(write.kind == .registration)
        // The second arrives while the first registration is being written: it waits for it.
        #expect(core.receive(heartbeat(), now: at(1)) == .wait(ticket))
        check(core)
        let (answer, actions) = core.written(ticket, at: LogPosition(segment: 1, offset: 0), now: at(2))
        #expect(answer == .heartbeat(.success(.registered)))
        #expect(actions.contains { if case .publish = $0 { true } else { false } })
        // Submitted again, it is a plain refresh: no second registration.
        guard case .done(.heartbeat(.success(.refreshed)), _) = core.receive(heartbeat(), now: at(3)) else { Issue.record("expected a refresh"); return }
        #expect(core.writesInFlight == 0)
        check(core)
    }

    @Test func aRunningHeartbeatRacingACompletionGetsTheConflict() throws {
        var core = core()
        guard case .write(let registration, _) = core.receive(heartbeat(), now: at(0)) else { return }
        _ = core.written(registration, at: LogPosition(segment: 1, offset: 0), now: at(0))
        let completion = Completion(executionID: id, containerID: "c", success: true)
        guard case .write(let ticket, let write) = core.receive(completion, now: at(10)) else { Issue.record("completion must be written"); return }
        #expect(write.kind == .completion)
        // The fast path cannot wait: it hands the heartbeat to the durable path.
        #expect(core.receive(heartbeat(), now: at(11), mayWrite: false) == .needsDurablePath)
        // The durable path waits for the completion, then the heartbeat conflicts.
        #expect(core.receive(heartbeat(), now: at(11)) == .wait(ticket))
        #expect(core.written(ticket, at: LogPosition(segment: 1, offset: 1), now: at(12)).answer == .recorded(.success(.recorded)))
        guard case .done(.heartbeat(.failure(let conflict)), _) = core.receive(heartbeat(), now: at(13)) else { Issue.record("expected 409"); return }
        #expect(conflict.status == .completed)
        check(core)
    }

    @Test func aFailedWriteChangesNothingAndReleasesTheExecution() {
        var core = core()
        guard case .write(let ticket, _) = core.receive(heartbeat(), now: at(0)) else { return }
        #expect(core.writeFailed(ticket, failure: WriteFailure(.io, detail: "disk full"), now: at(1)).isEmpty)
        #expect(core.table[id] == nil)
        guard case .write = core.receive(heartbeat(), now: at(2)) else { Issue.record("a retry writes again"); return }
        check(core)
    }

    /// The claim write fails: the leader strikes nobody, says why, and retries a second later.
    @Test func aLeaderWhoseClaimIsNotDurableDecidesNothing() {
        var core = core()
        var offset = 0
        guard case .write(let registration, _) = core.receive(heartbeat(), now: at(0)) else { return }
        _ = core.written(registration, at: LogPosition(segment: 1, offset: 0), now: at(0))
        let first = core.tick(now: at(1_000), alive: ["n1"], synced: true)
        guard case .write(let claim, let write)? = first.first(where: { if case .write = $0 { true } else { false } }) else { Issue.record("no claim"); return }
        #expect(write.kind == .leadershipTerm)
        let failed = core.writeFailed(claim, failure: WriteFailure(.closed, detail: "store closed"), now: at(1_001))
        #expect(failed == [.report(.termNotDurable(term: 1, reason: "store closed"))])
        #expect(core.status.termDurable == false && core.status.lastError?.contains("leadership term 1") == true)
        // Long past the timeout: still no strike, no mark, and the claim is tried again.
        var retried = false
        for t in stride(from: Int64(400_000), through: 1_200_000, by: 120_000) {
            let actions = core.tick(now: at(t), alive: ["n1"], synced: true)
            for case .write(let ticket, let write) in actions {
                #expect(write.kind == .leadershipTerm)
                retried = true
                _ = core.writeFailed(ticket, failure: WriteFailure(.closed, detail: "store closed"), now: at(t))
            }
            #expect(!core.status.sweeping)
            check(core)
        }
        #expect(retried)
        #expect(core.table[id]?.strikes == 0 && core.table[id]?.status == .running)
        // Once the claim is durable the leader sweeps (and strikes the silent execution).
        let actions = core.tick(now: at(1_300_000), alive: ["n1"], synced: true)
        let kinds = persistAll(actions, in: &core, at: at(1_300_000), offset: &offset)
        #expect(kinds == [.leadershipTerm])
        _ = core.tick(now: at(1_300_500), alive: ["n1"], synced: true)
        #expect(core.status.sweeping && core.table[id]?.strikes == 1)
    }

    /// n2 claims term 2 having read n1's file up to offset 10. n1's mark at offset 12 (term 1)
    /// is beyond the cut: every reader voids it — one that reads it first revokes it on reading
    /// the claim; one that reads the claim first never applies it.
    @Test func aSupersededLeadersLateMarkIsVoidWhateverTheReadOrder() {
        let n2Claim = TermClaim(term: 2, node: "n2", cut: ["n1": LogPosition(segment: 1, offset: 10)])
        let claimRecord = StoredRecord(node: "n2", position: LogPosition(segment: 1, offset: 0), kind: .leadershipTerm, term: 2, time: 0, payload: n2Claim.payload)
        let mark = ExecutionFact.finished(id: id, status: .failed, source: .sweep, finishedAtMs: 5, reason: "lost", resultData: nil, errorMessage: nil)
        let early = StoredRecord(node: "n1", position: LogPosition(segment: 1, offset: 8), kind: .failureMark, term: 1, time: 0, payload: mark.payload)
        let late = StoredRecord(node: "n1", position: LogPosition(segment: 1, offset: 12), kind: .failureMark, term: 1, time: 0, payload: mark.payload)
        let registered = StoredRecord(
            node: "n1", position: LogPosition(segment: 1, offset: 1), kind: .registration, term: 0, time: 0,
            payload: ExecutionFact.registered(id: id, registeredAtMs: 0, containerID: "c").payload
        )
        #expect(TermClaim(node: "n2", payload: n2Claim.payload) == n2Claim)
        for order in [[registered, late, claimRecord], [registered, claimRecord, late]] {
            var reader = core("n3", nodes: ["n1", "n2", "n3"])
            var reports: [NodeAction] = []
            for record in order { reports += reader.apply(stored: record, now: at(0)) }
            #expect(reader.table[id]?.status == .running, "order \(order.map(\.position.offset))")
            check(reader)
            if order[1] == late { #expect(reports == [.report(.marksFenced(count: 1, claimTerm: 2, claimant: "n2"))]) }
        }
        // A mark inside the cut stands, in either order.
        for order in [[registered, early, claimRecord], [registered, claimRecord, early]] {
            var reader = core("n3", nodes: ["n1", "n2", "n3"])
            for record in order { _ = reader.apply(stored: record, now: at(0)) }
            #expect(reader.table[id]?.status == .failed)
        }
        // A claim from before fencing existed (term only) fences nothing.
        var legacy = [UInt8]()
        Varint.append(2, to: &legacy)
        #expect(TermClaim(node: "n2", payload: legacy)?.cut == nil)
        #expect(TermClaim(node: "n2", payload: legacy + [9]) == nil)  // a cut that does not decode
    }

    /// A leader reads a claim that outranks its own: it stops at once (no sweep in that tick),
    /// and while the holder is alive in its view it defers to it.
    @Test func aLeaderStopsAtOnceOnAHigherClaimAndDefersToALiveHolder() {
        var core = core("n1", nodes: ["n1", "n2", "n3"])
        var offset = 0
        persistAll(core.tick(now: at(0), alive: ["n1", "n2", "n3"], synced: true), in: &core, at: at(0), offset: &offset)
        #expect(core.status.leader == "n1" && core.status.termDurable)
        let claim = TermClaim(term: 2, node: "n2", cut: [:])
        _ = core.apply(stored: StoredRecord(node: "n2", position: LogPosition(segment: 1, offset: 0), kind: .leadershipTerm, term: 2, time: 0, payload: claim.payload), now: at(100))
        let actions = core.tick(now: at(250), alive: ["n1", "n2", "n3"], synced: true)
        #expect(actions.contains(.report(.stoppedLeading(superseded: true, leader: "n2"))))
        #expect(core.status.leader == "n2" && !core.status.sweeping)
        // It releases its own old claim.
        #expect(actions.contains { if case .write(_, let write) = $0 { write.kind == .leadershipReleased } else { false } })
        check(core)
        // n2 releases (a lower id is back): n1 claims term 3.
        var payload: [UInt8] = []
        Varint.append(2, to: &payload)
        _ = core.apply(stored: StoredRecord(node: "n2", position: LogPosition(segment: 1, offset: 1), kind: .leadershipReleased, term: 2, time: 0, payload: payload), now: at(20_000))
        let next = core.tick(now: at(20_000), alive: ["n1", "n2", "n3"], synced: true)
        #expect(next.contains(.report(.becameLeader(term: 3))))
        check(core)
    }

    /// Two nodes claimed term 1 at once; the higher id (n2) yielded and released before n1 read
    /// its claim. That claim still fences every decision of n1's term 1, so n1 leads on under
    /// term 2 (found by a seeded simulation: before this, n1's marks were all void, for ever).
    @Test func aLeaderOutrankedByAReleasedClaimOfItsOwnNumberTakesANewTerm() {
        var core = core("n1", nodes: ["n1", "n2", "n3"])
        var offset = 0
        persistAll(core.tick(now: at(0), alive: ["n1", "n2", "n3"], synced: true), in: &core, at: at(0), offset: &offset)
        #expect(core.status.leader == "n1" && core.status.term == 1)
        let rival = TermClaim(term: 1, node: "n2", cut: [:])
        var released: [UInt8] = []
        Varint.append(1, to: &released)
        _ = core.apply(stored: StoredRecord(node: "n2", position: LogPosition(segment: 1, offset: 0), kind: .leadershipTerm, term: 1, time: 0, payload: rival.payload), now: at(100))
        _ = core.apply(stored: StoredRecord(node: "n2", position: LogPosition(segment: 1, offset: 1), kind: .leadershipReleased, term: 1, time: 0, payload: released), now: at(100))
        let actions = core.tick(now: at(250), alive: ["n1", "n2", "n3"], synced: true)
        #expect(actions.contains(.report(.becameLeader(term: 2))))
        #expect(actions.contains { if case .write(_, let write) = $0 { write.kind == .leadershipTerm && write.term == 2 } else { false } })
        #expect(core.status.leader == "n1" && core.status.term == 2 && !core.status.termDurable && !core.status.sweeping)
        check(core)
        // Once the new claim is durable nothing outranks it: no further claim.
        persistAll(actions, in: &core, at: at(250), offset: &offset)
        let later = core.tick(now: at(500), alive: ["n1", "n2", "n3"], synced: true)
        #expect(!later.contains { if case .report(.becameLeader) = $0 { true } else { false } })
        #expect(core.status.term == 2 && core.status.termDurable)
        check(core)
    }

    /// A restarted node finds the claim its previous incarnation left unreleased and releases it.
    @Test func aRestartReleasesTheOldIncarnationsClaim() {
        var core = core("n1", nodes: ["n1", "n2", "n3"])
        let claim = TermClaim(term: 4, node: "n1", cut: [:])
        let actions = core.restore([StoredRecord(node: "n1", position: LogPosition(segment: 1, offset: 0), kind: .leadershipTerm, term: 4, time: 0, payload: claim.payload)], now: at(0))
        guard case .write(_, let write)? = actions.first else { Issue.record("no release"); return }
        #expect(write.kind == .leadershipReleased && write.term == 4)
    }

    @Test func heartbeatsFromOneCoordinatorTooManyAreRefusedNotMisattributed() {
        var core = core()
        let entry = HeartbeatEntry(status: .running, registeredAtMs: 0, clientTimestamp: nil, containerID: "c", progress: nil)
        for origin in 1..<ExecutionTable.maxOrigins {
            #expect(core.merge(remote: entry, id: ExecutionID(high: 1, low: UInt64(origin)), origin: "peer\(origin)", stampMs: 1, now: at(0)).isEmpty)
        }
        let refused = core.merge(remote: entry, id: id, origin: "one-too-many", stampMs: 1, now: at(0))
        #expect(refused == [.report(.tooManyOrigins("one-too-many"))])
        #expect(core.table[id] == nil)
        check(core)
    }
}

extension NodeCoreTests {
    /// A snapshot holds what the records built; a core restored from it (and the records after
    /// it) has the same view, claims, pause flag and fence as one that replayed everything.
    @Test func aSnapshotRestoresWhatAFullReplayWould() throws {
        var original = core("n1", nodes: ["n1", "n2", "n3"])
        var offset = 0
        let done = ExecutionID(high: 1, low: 1), failed = ExecutionID(high: 2, low: 2)
        for (index, execution) in [id, done, failed].enumerated() {
            let beat = Heartbeat(executionID: execution, containerID: "c\(index)", clientTimestamp: 1_700_000_000)
            if case .write(let ticket, _) = original.receive(beat, now: at(Int64(index))) {
                offset += 1
                _ = original.written(ticket, at: LogPosition(segment: 1, offset: offset), now: at(Int64(index)))
            }
        }
        if case .write(let ticket, _) = original.receive(Completion(executionID: done, containerID: "c1", success: true, resultData: [0x7B, 0x7D]), now: at(10)) {
            offset += 1
            _ = original.written(ticket, at: LogPosition(segment: 1, offset: offset), now: at(10))
        }
        let claim = TermClaim(term: 3, node: "n2", cut: ["n1": LogPosition(segment: 1, offset: 2)])
        let mark = ExecutionFact.finished(id: failed, status: .failed, source: .sweep, finishedAtMs: 20, reason: "lost", resultData: nil, errorMessage: nil)
        var pause: [UInt8] = []
        Varint.append(0, to: &pause)
        let records = [
            StoredRecord(node: "n2", position: LogPosition(segment: 1, offset: 0), kind: .leadershipTerm, term: 3, time: 0, payload: claim.payload),
            StoredRecord(node: "n2", position: LogPosition(segment: 1, offset: 1), kind: .failureMark, term: 3, time: 0, payload: mark.payload),
            StoredRecord(node: "n3", position: LogPosition(segment: 1, offset: 0), kind: .pauseFlag, term: 0, time: 30, payload: [1]),
        ]
        for record in records { _ = original.apply(stored: record, now: at(30)) }
        let snapshot = try #require(original.snapshot(generation: 7))
        let decoded = try #require(NodeSnapshot(decoding: snapshot.encoded))
        #expect(decoded == snapshot)
        #expect(NodeSnapshot(decoding: Array(snapshot.encoded.dropLast())) == nil)
        var restored = core("n1", nodes: ["n1", "n2", "n3"])
        _ = restored.restore(decoded, then: [], now: at(40))
        check(restored)
        for execution in [id, done, failed] {
            #expect(restored.table[execution]?.status == original.table[execution]?.status)
            #expect(restored.table[execution]?.terminal == original.table[execution]?.terminal)
        }
        #expect(restored.table[failed]?.status == .failed && restored.table[done]?.terminal?.resultData == [0x7B, 0x7D])
        #expect(restored.pause.paused)
        #expect(restored.ledger.claims == original.ledger.claims && restored.ledger.readCut == original.ledger.readCut)
        // The mark of term 3 stays fenceable: a later claim whose cut does not include it voids it.
        let later = TermClaim(term: 4, node: "n3", cut: ["n2": LogPosition(segment: 1, offset: 0)])
        let voided = restored.apply(stored: StoredRecord(node: "n3", position: LogPosition(segment: 1, offset: 1), kind: .leadershipTerm, term: 4, time: 0, payload: later.payload), now: at(50))
        #expect(voided == [.report(.marksFenced(count: 1, claimTerm: 4, claimant: "n3"))])
        // No snapshot while a write is in flight: its record may be in the file but not yet here.
        guard case .write = original.receive(Heartbeat(executionID: ExecutionID(high: 3, low: 3), containerID: "x", clientTimestamp: 1), now: at(60)) else { return }
        #expect(original.snapshot(generation: 7) == nil)
    }
}

extension NodeCoreTests {
    /// A sweep of a large table runs in chunks (the shell takes the lock once per chunk): a
    /// heartbeat that arrives between chunks clears its execution, the others are judged as of
    /// the sweep's start, and expiry waits for the sweep to finish.
    @Test func aSweepInChunksLetsHeartbeatsInBetween() {
        var settings = NodeCore.Settings(me: "n1", configured: ["n1"], rule: SweepRule(heartbeatTimeoutMs: 300_000, checkIntervalMs: 120_000, maxStrikes: 3), started: 1_700_000_000_000)
        settings.sweepChunk = 10
        var core = NodeCore(settings: settings)
        var offset = 0
        let ids = (0..<100).map { ExecutionID(high: 50, low: UInt64($0)) }
        for execution in ids {
            persistAll([core.receive(Heartbeat(executionID: execution, containerID: "c", clientTimestamp: 1), now: at(0))].compactMap {
                if case .write(let ticket, let write) = $0 { .write(ticket, write) } else { nil }
            }, in: &core, at: at(0), offset: &offset)
        }
        // The leader's claim, then the first sweep (nothing silent yet).
        persistAll(core.tick(now: at(1_000), alive: ["n1"], synced: true), in: &core, at: at(1_000), offset: &offset)
        while core.sweepPending { _ = core.continueSweep(now: at(1_000)) }
        // 60 heartbeat again; 40 go silent past the timeout (below the mass-failure share).
        for execution in ids[40...] { _ = core.receive(Heartbeat(executionID: execution, containerID: "c", clientTimestamp: 2), now: at(300_000)) }
        var actions = core.tick(now: at(302_000), alive: ["n1"], synced: true)
        #expect(core.sweepPending)
        // Between chunks one silent execution heartbeats: it is not struck.
        _ = core.receive(Heartbeat(executionID: ids[0], containerID: "c", clientTimestamp: 3), now: at(302_001))
        var chunks = 1
        while core.sweepPending {
            #expect(core.expire(now: at(302_002)).isEmpty)
            actions += core.continueSweep(now: at(302_002))
            chunks += 1
            check(core)
        }
        #expect(chunks == 10)
        let struck = actions.compactMap { if case .report(.struck(let id, _)) = $0 { id } else { nil } }
        #expect(Set(struck) == Set(ids[1..<40]))
        #expect(core.table[ids[0]]?.strikes == 0 && core.table[ids[1]]?.strikes == 1)
    }

    @Test func aPageScannedInChunksEqualsAWholeScan() {
        var table = ExecutionTable()
        for i in (0..<1_000).shuffled() {
            _ = table.apply(Heartbeat(executionID: ExecutionID(high: 0, low: UInt64(i)), containerID: "c", clientTimestamp: 1), nowMs: 0)
        }
        for after in [nil, ExecutionID(high: 0, low: 500)] {
            let whole = table.page(status: nil, after: after, limit: 37)
            var page = PageScan(status: nil, after: after, limit: 37)
            for start in stride(from: 0, to: 1_000, by: 64) { table.scan(&page, slots: start..<(start + 64)) }
            // A record seen twice (moved between chunks) is counted once.
            table.scan(&page, slots: 0..<64)
            #expect(page.result.records.map(\.id) == whole.records.map(\.id))
            #expect(page.result.next == whole.next)
        }
    }
}
