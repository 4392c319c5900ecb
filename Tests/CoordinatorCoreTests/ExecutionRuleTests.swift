import CoordinatorCore
import VigilCodec
import VigilJSON
import Testing

/// Rules per job (issue 24) on virtual time: kinds with their own timeout and strikes, the
/// longest runtime, stalled progress, the default rule untouched for seed clients.
@Suite struct ExecutionRuleTests {
    static let rule = SweepRule(heartbeatTimeoutMs: 300_000, checkIntervalMs: 250, maxStrikes: 3, massFailureShare: 0.5, massFailureMinimum: 10)
    let sweeper = Sweeper(rule: Self.rule)
    let fast = ExecutionRule(kind: "fast", heartbeatTimeoutMs: 1_000, maxStrikes: 3)
    let slow = ExecutionRule(kind: "slow", heartbeatTimeoutMs: 4_000, maxStrikes: 3)
    let a = ExecutionID(high: 1, low: 1)
    let b = ExecutionID(high: 2, low: 2)

    static func progress(_ fields: JSONObject) -> Progress { try! Progress(validating: fields) }

    func beat(_ t: inout ExecutionTable, _ id: ExecutionID, at ms: Int64, rule: ExecutionRule? = nil, progress: Progress? = nil) {
        let heartbeat = Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000, progress: progress, rule: rule)
        _ = t.apply(heartbeat, nowMs: ms, seen: JudgeTime(ms: ms))
    }

    /// Sweeps every 250 ms from `start` to `end`, applying marks as the node would; the first
    /// time each execution was marked, and the marks.
    func run(_ t: inout ExecutionTable, from start: Int64, to end: Int64, beating: (Int64, inout ExecutionTable) -> Void = { _, _ in }) -> [ExecutionID: (Int64, SweepMark)] {
        var marks: [ExecutionID: (Int64, SweepMark)] = [:]
        var now = start
        while now <= end {
            beating(now, &t)
            for mark in sweeper.sweep(&t, now: JudgeTime(ms: now), wall: WallTime(ms: now)).marked {
                marks[mark.executionID] = (now, mark)
                t.apply(fact: .finished(id: mark.executionID, status: .failed, source: .sweep, finishedAtMs: now, reason: "x", resultData: nil, errorMessage: nil))
            }
            #expect(t.checkInvariants())
            now += 250
        }
        return marks
    }

    @Test func aSeedClientGetsTheDefaultRuleExactlyAsBefore() throws {
        var t = ExecutionTable()
        beat(&t, a, at: 0, progress: Self.progress(["crawled_urls": .int(1)]))
        let record = try #require(t[a])
        #expect(record.rule == 0 && t.rules.rules.isEmpty && record.progressChangedMs == nil)
        // The gossip value is format 1, byte for byte what it was.
        let value = try #require(record.gossipValue(maxBytes: 1_000)).value
        #expect(value[0] == HeartbeatEntry.format)
        #expect(value == HeartbeatEntry(record).encoded(stampMs: 0, maxBytes: 1_000))
        // Seed 000: three strikes of 300 s, 250 ms apart here.
        let marks = run(&t, from: 250, to: 301_000)
        #expect(marks[a]?.0 == 300_750 && marks[a]?.1.rule == .stale)
        #expect(MemoryLayout<ExecutionRecord>.size == 64)
    }

    @Test func twoKindsAreJudgedEachByItsOwnTimeout() {
        var t = ExecutionTable()
        beat(&t, a, at: 0, rule: fast)
        beat(&t, b, at: 0, rule: slow)
        let marks = run(&t, from: 250, to: 10_000)
        // Fast: stale after 1 s, three strikes 250 ms apart; slow: after 4 s.
        #expect(marks[a]?.0 == 1_750)
        #expect(marks[b]?.0 == 4_750)
        #expect(marks[a]?.1.rule == .stale && marks[b]?.1.rule == .stale)
    }

    @Test func aKindsStrikeCountIsItsOwn() {
        var t = ExecutionTable()
        beat(&t, a, at: 0, rule: ExecutionRule(kind: "etl", heartbeatTimeoutMs: 1_000, maxStrikes: 1))
        #expect(run(&t, from: 250, to: 3_000)[a]?.0 == 1_250)
    }

    @Test func aRunningExecutionPastItsMaxRuntimeIsFailed() {
        var t = ExecutionTable()
        let rule = ExecutionRule(kind: "batch", heartbeatTimeoutMs: 1_000, maxStrikes: 3, maxRuntimeMs: 5_000)
        beat(&t, a, at: 0, rule: rule)
        let marks = run(&t, from: 250, to: 8_000) { now, t in if now % 500 == 0 { beat(&t, a, at: now) } }
        #expect(marks[a]?.0 == 5_250)
        #expect(marks[a]?.1.rule == .maxRuntime)
        let reason = FailureReason.text(mark: marks[a]!.1, record: t[a], rule: Self.rule, executionRule: rule, leader: "n1", term: 1, timestamps: .utc)
        #expect(reason.contains("max runtime of 5 s") && reason.contains("rule max_runtime"))
    }

    @Test func progressThatStopsIsStalledThenUnstalledWhenItMoves() throws {
        var t = ExecutionTable()
        let rule = ExecutionRule(kind: "crawler", heartbeatTimeoutMs: 1_000, maxStrikes: 3, progressTimeoutMs: 2_000)
        beat(&t, a, at: 0, rule: rule, progress: Self.progress(["crawled_urls": .int(1)]))
        var stalledAt: [Int64: Int64] = [:]
        var now: Int64 = 250
        while now <= 6_000 {
            if now % 500 == 0 {
                // Moves until 1 s, stands still until 4 s (only its runtime ticks), moves again.
                let crawled: Int64 = now <= 1_000 ? now : (now < 4_000 ? 1_000 : now)
                beat(&t, a, at: now, progress: Self.progress(["crawled_urls": .int(crawled), "runtime_seconds": .int(now / 1000)]))
            }
            let outcome = sweeper.sweep(&t, now: JudgeTime(ms: now), wall: WallTime(ms: now))
            #expect(outcome.marked.isEmpty)
            for note in outcome.stalled { stalledAt[now] = note.sinceMs }
            now += 250
        }
        // Stalled from 2 s after the last change (1 s), until the change at 4 s.
        #expect(stalledAt.keys.min() == 3_250 && stalledAt.keys.max() == 3_750)
        #expect(Set(stalledAt.values) == [1_000])
        #expect(try #require(t[a]).progressChangedMs == 6_000)
    }

    @Test func failWhenStalledFailsWithItsOwnRule() {
        var t = ExecutionTable()
        let rule = ExecutionRule(kind: "strict", heartbeatTimeoutMs: 1_000, maxStrikes: 3, progressTimeoutMs: 2_000, failWhenStalled: true)
        let same = Self.progress(["data_items": .int(7)])
        beat(&t, a, at: 0, rule: rule, progress: same)
        let marks = run(&t, from: 250, to: 5_000) { now, t in if now % 500 == 0 { beat(&t, a, at: now, progress: same) } }
        #expect(marks[a]?.0 == 2_250 && marks[a]?.1.rule == .stalledProgress && marks[a]?.1.stalledSinceMs == 0)
    }

    @Test func theComparisonIgnoresTimeLikeFieldsOrderAndNumberForm() {
        func bytes(_ o: JSONObject) -> ArraySlice<UInt8> { Self.progress(o).compact[...] }
        let base = bytes(["crawled_urls": .int(5), "current_url": .string("u"), "runtime_seconds": .int(1), "updated_at": .string("x")])
        #expect(!ProgressChange.differs(base, bytes(["current_url": .string("u"), "crawled_urls": .double(5), "runtime_seconds": .int(9), "updated_at": .string("y")])))
        #expect(ProgressChange.differs(base, bytes(["crawled_urls": .int(6), "current_url": .string("u")])))
        #expect(ProgressChange.differs(base, bytes(["crawled_urls": .int(5), "current_url": .string("v")])))
        #expect(ProgressChange.differs([], base))
        #expect(ProgressChange.isTimeLike("elapsed_ms") && ProgressChange.isTimeLike("start_time") && !ProgressChange.isTimeLike("percentage"))
    }

    @Test func aLaterHeartbeatCannotChangeTheRule() throws {
        var t = ExecutionTable()
        beat(&t, a, at: 0, rule: fast)
        beat(&t, a, at: 100, rule: slow)
        beat(&t, a, at: 200)
        #expect(t.rule(of: try #require(t[a])) == fast)
    }
}

/// The rule is durable with the registration and replicated, so a new leader judges the same
/// rule and the same stall start (issue 24).
@Suite struct ExecutionRuleDurabilityTests {
    let rule = ExecutionRule(kind: "crawler", heartbeatTimeoutMs: 10_000, maxStrikes: 2, progressTimeoutMs: 2_000, maxRuntimeMs: 8_000)
    let id = ExecutionID(high: 7, low: 7)
    let sweeper = Sweeper(rule: SweepRule(heartbeatTimeoutMs: 300_000, checkIntervalMs: 250, maxStrikes: 3))

    @Test func theRuleRoundTripsThroughEveryRecordThatCarriesIt() throws {
        var bytes: [UInt8] = []
        rule.encode(to: &bytes)
        var r = ByteReader(bytes[...])
        #expect(ExecutionRule(reading: &r) == rule && r.isAtEnd)
        let fact = ExecutionFact.registered(id: id, registeredAtMs: 5, containerID: "c", rule: rule)
        #expect(ExecutionFact(kind: .registration, payload: fact.payload) == fact)
        // A registration written before rules existed still reads, with none.
        let old = ExecutionFact.registered(id: id, registeredAtMs: 5, containerID: "c")
        #expect(ExecutionFact(kind: .registration, payload: old.payload) == old)
        let history = HeartbeatHistory(registeredAtMs: 1, lastHeartbeatMs: 2, heartbeatCount: 3, rule: rule)
        let finished = ExecutionFact.finished(id: id, status: .failed, source: .sweep, finishedAtMs: 9, reason: "r", resultData: nil, errorMessage: nil, history: history)
        #expect(ExecutionFact(kind: .failureMark, payload: finished.payload) == finished)
        let entry = HeartbeatEntry(status: .running, registeredAtMs: 1_000, clientTimestamp: 3, containerID: "c", progress: nil, progressChangedMs: 1_500)
        #expect(HeartbeatEntry(decoding: entry.encoded(stampMs: 2_000, maxBytes: 500), stampMs: 2_000) == entry)
    }

    @Test func theCatalogResolvesKindsOverridesAndTheDefaultKind() throws {
        let base = SweepRule()
        let catalog = RuleCatalog(kinds: ["etl": ExecutionRule(kind: "etl", heartbeatTimeoutMs: 900_000, maxStrikes: 2)], base: base)
        #expect(try catalog.resolve(kind: nil, monitor: RuleOverrides()) == nil)
        #expect(try catalog.resolve(kind: "etl", monitor: RuleOverrides(maxStrikes: 5))?.maxStrikes == 5)
        #expect(try catalog.resolve(kind: nil, monitor: RuleOverrides(heartbeatTimeoutMs: 60_000)) == ExecutionRule(heartbeatTimeoutMs: 60_000, maxStrikes: 3))
        #expect(throws: RuleError.self) { try catalog.resolve(kind: "nope", monitor: RuleOverrides()) }
        do {
            _ = try catalog.resolve(kind: "nope", monitor: RuleOverrides())
        } catch {
            #expect(error.field == "kind")
        }
        var withDefault = catalog
        withDefault.defaultKind = "etl"
        #expect(try withDefault.resolve(kind: nil, monitor: RuleOverrides())?.kind == "etl")
    }

    /// Node A takes the heartbeats; node B, whose judge clock started 40 s later, learns the
    /// execution from the store's registration and A's gossip values only.
    func twoNodes(until end: Int64, moving: (Int64) -> Bool) -> (a: ExecutionTable, b: ExecutionTable) {
        var a = ExecutionTable(localOrigin: "n1"), b = ExecutionTable(localOrigin: "n2")
        let wall: Int64 = 1_700_000_000_000
        var crawled: Int64 = 0
        var now: Int64 = 0
        while now <= end {
            if moving(now) { crawled += 1 }
            let progress = try! Progress(validating: ["crawled_urls": .int(crawled), "runtime_seconds": .int(now / 1_000)])
            let heartbeat = Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000, progress: progress, rule: rule)
            _ = a.apply(heartbeat, nowMs: wall + now, seen: JudgeTime(ms: now))
            if now == 0 { b.apply(fact: .registered(id: id, registeredAtMs: wall, containerID: "c", rule: rule), seen: JudgeTime(ms: 40_000)) }
            let (value, stamp) = a[id]!.gossipValue(maxBytes: 1_000)!
            let origin = b.originIndex("n1")!
            _ = b.apply(remote: value, HeartbeatEntry.validate(value, stampMs: stamp)!, id: id, origin: origin, stampMs: stamp, seen: JudgeTime(ms: 40_000 + now + 30))
            now += 500
        }
        return (a, b)
    }

    @Test func aNewLeaderJudgesTheSameStallStart() throws {
        // Progress moves until 1.5 s, then stands still; the heartbeats go on to 3 s, then A dies.
        let (a, b) = twoNodes(until: 3_000) { $0 <= 1_500 }
        let onA = a.stalledSince(try #require(a[id]), now: JudgeTime(ms: 3_600))
        let onB = b.stalledSince(try #require(b[id]), now: JudgeTime(ms: 43_630))
        #expect(onA == 1_700_000_001_500 && onB == onA)
        #expect(b.rule(of: try #require(b[id])) == rule)
        // B, now leading, reports the stall with the same start (the key of its event).
        var table = b
        let outcome = sweeper.sweep(&table, now: JudgeTime(ms: 43_630), wall: WallTime(ms: 1_700_000_003_600))
        #expect(outcome.stalled == [StallNote(executionID: id, sinceMs: 1_700_000_001_500)])
    }

    @Test func aNewLeaderEndsTheSameMaxRuntime() throws {
        let (_, b) = twoNodes(until: 6_000) { _ in true }
        var table = b
        // Runtime on B: 6 s of stamps plus its own time since it saw the last heartbeat (+30 ms).
        var markedAt: Int64?
        var now: Int64 = 46_030
        while now <= 50_000, markedAt == nil {
            if sweeper.sweep(&table, now: JudgeTime(ms: now), wall: 0).marked.first?.rule == .maxRuntime { markedAt = now }
            now += 250
        }
        #expect(markedAt == 48_280)  // 8 s after registration, within one interval, on B's clock
    }
}
