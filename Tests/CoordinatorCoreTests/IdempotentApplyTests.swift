import CoordinatorCore
import Testing
import VigilCodec
import VigilJSON

/// Applying the same record twice changes nothing, for every record type: an append reported
/// failed may have landed (peers read it, and so does this node at its next start), and a retried
/// write puts the same fact in the store twice (same content, a later position).
@Suite struct IdempotentApplyTests {
    let x = ExecutionID(high: 61, low: 1)
    let y = ExecutionID(high: 61, low: 2)
    let z = ExecutionID(high: 61, low: 3)
    let t0: Int64 = 1_700_000_000_000

    func core() -> NodeCore {
        var settings = NodeCore.Settings(
            me: "n1", configured: ["n1", "n2", "n3"], rule: SweepRule(heartbeatTimeoutMs: 1_000, checkIntervalMs: 500, maxStrikes: 2),
            started: WallTime(ms: t0), gossipValueBytes: 526
        )
        settings.notifications = Outbox.Settings(channels: [
            ChannelRule(name: "hook", events: [EventPattern("*")!]),
            ChannelRule(name: "burst", events: [EventPattern("execution.*")!], groupWindowMs: 1_000),
        ])
        return NodeCore(settings: settings)
    }

    func at(_ ms: Int64) -> NodeNow { NodeNow(wall: WallTime(ms: t0 + ms), judge: JudgeTime(ms: ms)) }

    /// Records of one writer, positioned in write order.
    struct Log {
        let writer: String
        var records: [StoredRecord] = []
        var offset = 0

        mutating func add(_ kind: DurableKind, term: UInt64 = 0, atMs: Int64, _ payload: [UInt8]) {
            records.append(StoredRecord(node: writer, position: LogPosition(segment: 1, offset: offset), kind: kind, term: term, time: WallTime(ms: atMs), payload: payload))
            offset += 100
        }

        /// The same record again, written right after the last one (a retry, or bytes that landed twice).
        func copy(_ record: StoredRecord, after last: StoredRecord) -> StoredRecord {
            var copy = record
            copy.position = LogPosition(segment: last.position.segment, offset: last.position.offset + 100)
            return copy
        }
    }

    func history(count: UInt32) throws -> HeartbeatHistory {
        HeartbeatHistory(
            registeredAtMs: t0, lastHeartbeatMs: t0 + 100, heartbeatCount: count, strikes: 1, clientTimestamp: t0 / 1000, containerID: "c-x",
            progress: try Progress(validating: ["percentage": .int(50)])
        )
    }

    /// What comes before the record under test: a claim, two registrations, one completion.
    func prefix(_ writer: String) -> Log {
        var log = Log(writer: writer)
        log.add(.leadershipTerm, term: 1, atMs: t0, TermClaim(term: 1, node: writer, cut: [:]).payload)
        log.add(.registration, atMs: t0, ExecutionFact.registered(id: x, registeredAtMs: t0, containerID: "c-x").payload)
        log.add(.registration, atMs: t0, ExecutionFact.registered(id: z, registeredAtMs: t0, containerID: "c-z").payload)
        log.add(.completion, atMs: t0 + 10, ExecutionFact.finished(id: z, status: .completed, source: .completion, finishedAtMs: t0 + 10, reason: nil, resultData: nil, errorMessage: nil).payload)
        return log
    }

    /// One record of `kind`, after the prefix.
    func record(_ kind: DurableKind, writer: String) throws -> StoredRecord {
        var log = prefix(writer)
        let at = t0 + 1_000
        switch kind {
        case .registration: log.add(kind, atMs: at, ExecutionFact.registered(id: y, registeredAtMs: at, containerID: "c-y").payload)
        case .completion:
            log.add(kind, atMs: at, ExecutionFact.finished(id: x, status: .completed, source: .completion, finishedAtMs: at, reason: nil, resultData: [0x7B, 0x7D], errorMessage: nil, history: try history(count: 3)).payload)
        case .failureMark:
            log.add(kind, term: 1, atMs: at, ExecutionFact.finished(id: x, status: .failed, source: .sweep, finishedAtMs: at, reason: "lost", resultData: nil, errorMessage: nil, history: try history(count: 2)).payload)
        case .strikeBatch:
            log.add(kind, term: 1, atMs: at, StrikeBatch.encode([StrikeEntry(executionID: x, strikes: 1, lastHeartbeatMs: nil, strikeTimesMs: [at])]))
        case .leadershipTerm: log.add(kind, term: 2, atMs: at, TermClaim(term: 2, node: writer, cut: ["n3": LogPosition(segment: 1, offset: 0)]).payload)
        case .pauseFlag: log.add(kind, term: 1, atMs: at, [1])
        case .generation: log.add(kind, atMs: at, [7])
        case .leadershipReleased: log.add(kind, term: 1, atMs: at, [1])
        case .notificationEvent:
            let event = NotificationEvent(kind: .nodeDead, key: NotificationEvent.key(.nodeDead, node: "n3", sequence: 1), subjectNode: "n3", occurredAtMs: at, writer: writer, term: 1, detail: "gone")
            log.add(kind, term: 1, atMs: at, event.payload)
        case .notificationAck:
            log.add(kind, term: 1, atMs: at, NotificationAck(key: NotificationEvent.key(.executionCompleted, execution: z), channel: "hook", outcome: .delivered, attempts: 1).payload)
        case .notificationGroup:
            let member = NotificationEvent(kind: .executionCompleted, key: NotificationEvent.key(.executionCompleted, execution: z), executionID: z, occurredAtMs: t0 + 10, writer: writer, term: 0, container: "c-z")
            log.add(kind, term: 1, atMs: at, NotificationGroup(channel: "burst", kind: .executionCompleted, members: [member]).payload)
        case .serviceState:
            var state = ServiceState(name: "api")
            state.failures = 3
            state.down = true
            state.downSequence = 1
            state.events = [.serviceDown]
            log.add(kind, term: 1, atMs: at, state.payload)
        case .keyringChange: log.add(kind, atMs: at, KeyringBook.payload(.install(.key(String(repeating: "A", count: 43) + "="))))
        case .sweepRelease: log.add(kind, term: 1, atMs: at, [1])
        }
        return log.records[log.records.count - 1]
    }

    func applied(_ records: [StoredRecord]) -> NodeCore {
        var core = core()
        for record in records { core.settleWrites(core.apply(stored: record, now: at(2_000)), at: at(2_000)) }
        return core
    }

    @Test(arguments: DurableKind.allCases, ["n2", "n1"])
    func aRecordAppliedTwiceChangesNothing(kind: DurableKind, writer: String) throws {
        let base = prefix(writer)
        let once = try record(kind, writer: writer)
        let again = base.copy(once, after: once)
        let single = applied(base.records + [once])
        let double = applied(base.records + [once, again])
        #expect(single.invariantViolation() == nil)
        #expect(double.invariantViolation() == nil)
        #expect(CoreState(double) == CoreState(single), "\(kind.name) from \(writer)")
        #expect(CoreState(single).snapshot != nil)
        // Only how far the peer's file was read moved (nothing is noted for this node's own).
        #expect(double.ledger.readCut[writer] == (writer == "n1" ? nil : again.position))
    }

    /// The copy comes later, after another node's record (a retry that other writes overtook).
    @Test(arguments: DurableKind.allCases)
    func aCopyAfterOtherNodesRecordsChangesNothing(kind: DurableKind) throws {
        let base = prefix("n2")
        let once = try record(kind, writer: "n2")
        var other = Log(writer: "n3")
        other.add(.registration, atMs: t0 + 1_500, ExecutionFact.registered(id: ExecutionID(high: 61, low: 9), registeredAtMs: t0 + 1_500, containerID: "c-w").payload)
        let between = other.records[0]
        let single = applied(base.records + [once, between])
        let double = applied(base.records + [once, between, base.copy(once, after: once)])
        #expect(double.invariantViolation() == nil)
        #expect(CoreState(double) == CoreState(single), "\(kind.name)")
    }

    /// A restart whose snapshot covers the record reads its copy after the snapshot.
    @Test(arguments: DurableKind.allCases, ["n2", "n1"])
    func aCopyAfterTheSnapshotChangesNothing(kind: DurableKind, writer: String) throws {
        let base = prefix(writer)
        let once = try record(kind, writer: writer)
        let snapshot = try #require(applied(base.records + [once]).snapshot(generation: 1))
        var plain = core()
        plain.settleWrites(plain.restore(snapshot, then: [], now: at(3_000)), at: at(3_000))
        var copied = core()
        copied.settleWrites(copied.restore(snapshot, then: [base.copy(once, after: once)], now: at(3_000)), at: at(3_000))
        #expect(copied.invariantViolation() == nil)
        #expect(CoreState(copied) == CoreState(plain), "\(kind.name) from \(writer)")
    }

    /// A whole history replayed at start-up with every record written twice reads as once.
    @Test func aRestartOnAStoreWithEveryRecordTwiceRestoresTheSame() throws {
        var records = prefix("n2").records
        for kind in DurableKind.allCases { records.append(try record(kind, writer: "n2")) }
        records = records.enumerated().map { i, r in var r = r; r.position = LogPosition(segment: 1, offset: i * 200); return r }
        let doubled = records.flatMap { r in [r, StoredRecord(node: r.node, position: LogPosition(segment: 1, offset: r.position.offset + 100), kind: r.kind, term: r.term, time: r.time, payload: r.payload)] }
        var once = core()
        once.settleWrites(once.restore(records, now: at(3_000)), at: at(3_000))
        var twice = core()
        twice.settleWrites(twice.restore(doubled, now: at(3_000)), at: at(3_000))
        #expect(twice.invariantViolation() == nil)
        #expect(CoreState(twice) == CoreState(once))
    }
}
