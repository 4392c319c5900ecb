import CoordinatorCore
import Testing
import VigilCodec

/// The outbox inside the node core: events derived from durable decisions, delivered by the
/// leader only, after its term is durable and it has read the store; resumed by a new term.
@Suite struct NotificationCoreTests {
    let id = ExecutionID(high: 4, low: 2)
    let rule = SweepRule(heartbeatTimeoutMs: 1_000, checkIntervalMs: 500, maxStrikes: 2)

    func core(_ me: String = "n1", nodes: [String] = ["n1"], events: [String] = ["*"]) -> NodeCore {
        var settings = NodeCore.Settings(me: me, configured: nodes, rule: rule, started: 1_700_000_000_000, gossipValueBytes: 526)
        settings.notifications = Outbox.Settings(channels: [ChannelRule(name: "hook", events: events.compactMap(EventPattern.init))])
        settings.nodeDeadAfterMs = 5_000
        return NodeCore(settings: settings)
    }

    func at(_ ms: Int64) -> NodeNow { NodeNow(wall: WallTime(ms: 1_700_000_000_000 + ms), judge: JudgeTime(ms: ms)) }

    /// A tiny shell: writes are durable at once (and kept, as the store would), deliveries are collected.
    struct Shell {
        var records: [StoredRecord] = []
        var attempts: [NotificationAttempt] = []

        mutating func run(_ actions: [NodeAction], on core: inout NodeCore, me: String, at now: NodeNow) {
            for action in actions {
                switch action {
                case .write(let ticket, let write):
                    let position = LogPosition(segment: 1, offset: records.count)
                    records.append(StoredRecord(node: me, position: position, kind: write.kind, term: write.term, time: write.time, payload: write.payload))
                    run(core.written(ticket, at: position, now: now).actions, on: &core, me: me, at: now)
                case .deliver(let attempt):
                    attempts.append(attempt)
                default:
                    break
                }
            }
        }

        mutating func submit(_ step: NodeStep, on core: inout NodeCore, me: String, at now: NodeNow) {
            if case .write(let ticket, let write) = step { run([.write(ticket, write)], on: &core, me: me, at: now) }
        }

        mutating func takeAttempts() -> [NotificationAttempt] {
            defer { attempts = [] }
            return attempts
        }
    }

    /// Ticks every 250 ms from `from` to `to`, reading the store (nothing new) at each tick.
    func run(_ core: inout NodeCore, _ shell: inout Shell, from: Int64, to: Int64, alive: Set<String> = ["n1"], me: String = "n1") {
        var t = from
        while t <= to {
            core.noteStoreRead(at: JudgeTime(ms: t))
            shell.run(core.tick(now: at(t), alive: alive, synced: true), on: &core, me: me, at: at(t))
            while core.sweepPending { shell.run(core.continueSweep(now: at(t)), on: &core, me: me, at: at(t)) }
            t += 250
        }
    }

    @Test func aSilentExecutionIsNotifiedLateThenFailedEachUnderItsOwnStableKey() {
        var core = core()
        var shell = Shell()
        shell.submit(core.receive(Heartbeat(executionID: id, containerID: "crawler-1", clientTimestamp: 1_700_000_000), now: at(0)), on: &core, me: "n1", at: at(0))
        run(&core, &shell, from: 0, to: 6_000)
        let events = shell.takeAttempts().map(\.event)
        #expect(events.map(\.kind) == [.executionLate, .executionFailed])
        #expect(events.map(\.key) == ["execution.late:\(id):1700000000000", "execution.failed:\(id)"])
        #expect(events.last?.detail?.contains("2") == true, "the failed event carries the mark's explanation")
        // The mark record is the event (one append): no separate event record was written for it.
        #expect(!shell.records.contains { $0.kind == .notificationEvent })
    }

    @Test func nothingIsSentUntilTheTermIsDurableAndTheStoreReadSinceLeading() {
        var core = core()
        var shell = Shell()
        shell.submit(core.receive(Completion(executionID: id, containerID: "c", success: true), now: at(0)), on: &core, me: "n1", at: at(0))
        // Leadership claimed, but the claim's write is not reported yet: no delivery.
        let actions = core.tick(now: at(10), alive: ["n1"], synced: true)
        #expect(!actions.contains { if case .deliver = $0 { true } else { false } })
        #expect(!core.mayDeliver)
        shell.run(actions, on: &core, me: "n1", at: at(10))
        // Durable now, but the store was last read before this leadership began.
        core.noteStoreRead(at: JudgeTime(ms: 5))
        shell.run(core.tick(now: at(20), alive: ["n1"], synced: true), on: &core, me: "n1", at: at(20))
        #expect(shell.takeAttempts().isEmpty)
        core.noteStoreRead(at: JudgeTime(ms: 30))
        shell.run(core.tick(now: at(40), alive: ["n1"], synced: true), on: &core, me: "n1", at: at(40))
        #expect(shell.takeAttempts().map(\.event.kind) == [.executionCompleted])
    }

    @Test func aNewLeaderResumesWhatNoAcknowledgementCovers() {
        // n1 led term 1, marked two executions, delivered one (acknowledged) and died.
        let other = ExecutionID(high: 4, low: 3)
        var old = core("n1", nodes: ["n1", "n2", "n3"])
        var records: [StoredRecord] = []
        func append(_ kind: DurableKind, term: UInt64, _ payload: [UInt8], node: String = "n1") {
            records.append(StoredRecord(node: node, position: LogPosition(segment: 1, offset: records.count), kind: kind, term: term, time: WallTime(ms: 1_700_000_000_000), payload: payload))
        }
        append(.leadershipTerm, term: 1, TermClaim(term: 1, node: "n1", cut: [:]).payload)
        for execution in [id, other] {
            append(.registration, term: 0, ExecutionFact.registered(id: execution, registeredAtMs: 1_700_000_000_000, containerID: "c").payload)
            append(.failureMark, term: 1, ExecutionFact.finished(id: execution, status: .failed, source: .sweep, finishedAtMs: 1_700_000_000_000, reason: "lost", resultData: nil, errorMessage: nil).payload)
        }
        append(.notificationAck, term: 1, NotificationAck(key: NotificationEvent.key(.executionFailed, execution: id), channel: "hook", outcome: .delivered, attempts: 1).payload)
        _ = old  // the old leader is gone; only its records remain
        old = core("n1", nodes: ["n1", "n2", "n3"])
        var next = core("n2", nodes: ["n1", "n2", "n3"])
        var shell = Shell()
        for record in records { _ = next.apply(stored: record, now: at(0)) }
        #expect(next.outbox.pending.count == 1)
        run(&next, &shell, from: 0, to: 3_000, alive: ["n2", "n3"], me: "n2")
        let attempts = shell.takeAttempts()
        #expect(attempts.map(\.target.key) == ["execution.failed:\(other)"])
        #expect(attempts.first.map { $0.term > 1 } == true, "sent in the new leader's term")
        #expect(attempts.first?.execution?.reason == "lost")
    }

    @Test func aSupersededLeaderStopsSendingAtOnce() {
        var core = core("n1", nodes: ["n1", "n2", "n3"])
        var shell = Shell()
        for n in 1...5 {
            shell.submit(core.receive(Completion(executionID: ExecutionID(high: 8, low: UInt64(n)), containerID: "c", success: true), now: at(0)), on: &core, me: "n1", at: at(0))
        }
        // Leads with n2, n3 alive; first attempts go out; none answered yet.
        run(&core, &shell, from: 0, to: 1_000, alive: ["n1", "n2", "n3"])
        let inFlight = shell.takeAttempts()
        #expect(inFlight.count == 5)
        // n2's higher claim appears in the store: n1 is superseded.
        let claim = TermClaim(term: core.status.term + 1, node: "n2", cut: [:])
        _ = core.apply(stored: StoredRecord(node: "n2", position: LogPosition(segment: 1, offset: 0), kind: .leadershipTerm, term: claim.term, time: WallTime(ms: 1_700_000_001_000), payload: claim.payload), now: at(1_100))
        run(&core, &shell, from: 1_250, to: 60_000, alive: ["n1", "n2", "n3"])
        #expect(core.status.leader == "n2")
        // A late failure of an attempt of the old term schedules nothing from n1.
        for attempt in inFlight { shell.run(core.deliveryFinished(attempt, result: .failed("HTTP 500"), now: at(60_100)), on: &core, me: "n1", at: at(60_100)) }
        run(&core, &shell, from: 60_250, to: 120_000, alive: ["n1", "n2", "n3"])
        #expect(shell.takeAttempts().isEmpty, "a node that does not lead sends nothing")
        #expect(core.outbox.pending.count == 5, "still owed: the new leader sends them")
    }

    @Test func aRecoveredHeartbeatAZombieAndADeadNodeAreEventsOnce() {
        var core = core("n1", nodes: ["n1", "n2", "n3"])
        var shell = Shell()
        shell.submit(core.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), now: at(0)), on: &core, me: "n1", at: at(0))
        // n3 is missing from the start; n1 leads with n2.
        // The first strike is at 1.5 s; its event is sent at the next tick.
        run(&core, &shell, from: 0, to: 1_750, alive: ["n1", "n2"])
        #expect(shell.takeAttempts().map(\.event.kind) == [.executionLate])
        shell.submit(core.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), now: at(1_800)), on: &core, me: "n1", at: at(1_800))
        run(&core, &shell, from: 2_000, to: 2_000, alive: ["n1", "n2"])
        #expect(shell.takeAttempts().map(\.event.key) == ["execution.recovered:\(id):1700000000000"])
        shell.submit(core.receive(Completion(executionID: id, containerID: "c", success: false, errorMessage: "boom"), now: at(2_100)), on: &core, me: "n1", at: at(2_100))
        for t in [2_200, 2_300, 2_400] as [Int64] {
            shell.submit(core.receive(Heartbeat(executionID: id, containerID: "c", clientTimestamp: 1_700_000_000), now: at(t)), on: &core, me: "n1", at: at(t))
        }
        run(&core, &shell, from: 2_250, to: 6_000, alive: ["n1", "n2"])
        let kinds = shell.takeAttempts().map(\.event.kind)
        #expect(kinds.filter { $0 == .executionFailed }.count == 1)
        #expect(kinds.filter { $0 == .executionFenced }.count == 1, "three zombie heartbeats, one event")
        #expect(kinds.filter { $0 == .nodeDead }.count == 1)
        // n3 comes back: node.alive, numbered after the death.
        run(&core, &shell, from: 6_250, to: 7_000, alive: ["n1", "n2", "n3"])
        #expect(shell.takeAttempts().map(\.event.key) == ["node.alive:n3:2"])
        #expect(shell.records.filter { $0.kind == .notificationEvent }.count == 4)
    }

    @Test func aNodeThatStaysDeadIsRemindedOfEveryInterval() {
        var settings = NodeCore.Settings(me: "n1", configured: ["n1", "n2", "n3"], rule: rule, started: 1_700_000_000_000, gossipValueBytes: 526)
        settings.notifications = Outbox.Settings(channels: [ChannelRule(name: "hook", events: [EventPattern("node.*")!])])
        settings.notifications.repeatIntervalMs = 10_000
        settings.nodeDeadAfterMs = 5_000
        var core = NodeCore(settings: settings)
        var shell = Shell()
        run(&core, &shell, from: 0, to: 36_000, alive: ["n1", "n2"])
        // Dead at 5 s; reminders at 15, 25 and 35 s; numbered from the death, each once.
        #expect(shell.takeAttempts().map(\.event.key) == ["node.dead:n3:1", "node.dead:n3:1:reminder:1", "node.dead:n3:1:reminder:2", "node.dead:n3:1:reminder:3"])
        run(&core, &shell, from: 36_250, to: 50_000, alive: ["n1", "n2", "n3"])
        #expect(shell.takeAttempts().map(\.event.key) == ["node.alive:n3:2"], "back: no more reminders")
    }
}
