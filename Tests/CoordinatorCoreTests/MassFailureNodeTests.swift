import CoordinatorCore
import Testing

/// The mass-failure guard inside the node core: what it reads of the node's own health (its
/// store's writes, its confirmed peers), the `monitor.mass_failure` and `monitor.degraded` events, the
/// operators' release as a durable record, and the episode rule across a restart. Writes are
/// durable at once; invariants are checked after every step.
@Suite struct MassFailureNodeTests {
    static let rule = SweepRule(heartbeatTimeoutMs: 1_000, checkIntervalMs: 500, maxStrikes: 3, massFailureShare: 0.5, massFailureMinimum: 10, massFailureHoldMs: 3_000)
    static func id(_ i: Int) -> ExecutionID { ExecutionID(high: 7, low: UInt64(i)) }

    func core(started: Int64 = 0) -> NodeCore {
        var settings = NodeCore.Settings(me: "n1", configured: ["n1"], rule: Self.rule, started: WallTime(ms: 1_700_000_000_000 + started), gossipValueBytes: 526)
        settings.notifications = Outbox.Settings(channels: [ChannelRule(name: "ops", events: ["monitor.*", "execution.failed"].compactMap(EventPattern.init))])
        return NodeCore(settings: settings)
    }

    func at(_ ms: Int64) -> NodeNow { NodeNow(wall: WallTime(ms: 1_700_000_000_000 + ms), judge: JudgeTime(ms: ms)) }

    /// Writes are durable at once and kept, as the store would keep them.
    struct Shell {
        var records: [StoredRecord] = []
        /// Make the next writes fail (the store said EIO).
        var failing = false

        mutating func run(_ actions: [NodeAction], on core: inout NodeCore, at now: NodeNow) {
            for case .write(let ticket, let write) in actions {
                if failing {
                    run(core.writeFailed(ticket, failure: WriteFailure(.io, detail: "EIO"), now: now), on: &core, at: now)
                    continue
                }
                let position = LogPosition(segment: 1, offset: records.count)
                records.append(StoredRecord(node: core.me, position: position, kind: write.kind, term: write.term, time: write.time, payload: write.payload))
                run(core.written(ticket, at: position, now: now).actions, on: &core, at: now)
            }
        }

        mutating func submit(_ step: NodeStep, on core: inout NodeCore, at now: NodeNow) -> NodeAnswer? {
            switch step {
            case .write(let ticket, _) where failing:
                run(core.writeFailed(ticket, failure: WriteFailure(.io, detail: "EIO"), now: now), on: &core, at: now)
                return nil
            case .write(let ticket, let write):
                let position = LogPosition(segment: 1, offset: records.count)
                records.append(StoredRecord(node: core.me, position: position, kind: write.kind, term: write.term, time: write.time, payload: write.payload))
                let (answer, actions) = core.written(ticket, at: position, now: now)
                run(actions, on: &core, at: now)
                return answer
            case .done(let answer, let actions):
                run(actions, on: &core, at: now)
                return answer
            case .wait, .needsDurablePath:
                return nil
            }
        }

        func events(_ kind: EventKind) -> [NotificationEvent] {
            records.filter { $0.kind == .notificationEvent }.compactMap { NotificationEvent(payload: $0.payload, writer: $0.node, term: $0.term, timeMs: $0.time.ms) }
                .filter { $0.kind == kind }
        }

        /// Failure marks, with the judge time (here: wall − base) they were written.
        var marks: [(id: ExecutionID, atMs: Int64, reason: String)] {
            records.filter { $0.kind == .failureMark }.compactMap { record in
                guard case .finished(let id, _, _, _, let reason, _, _, _)? = ExecutionFact(kind: .failureMark, payload: record.payload) else { return nil }
                return (id, record.time.ms - 1_700_000_000_000, reason ?? "")
            }
        }
    }

    func beat(_ i: Int, _ core: inout NodeCore, _ shell: inout Shell, at t: Int64) {
        _ = shell.submit(core.receive(Heartbeat(executionID: Self.id(i), containerID: "c-\(i)", clientTimestamp: 1_700_000_000), now: at(t)), on: &core, at: at(t))
    }

    /// Ticks every 250 ms from `from` to `to`; before each tick the executions in `live` beat
    /// and `before` runs. Invariants after every tick.
    func run(
        _ core: inout NodeCore, _ shell: inout Shell, from: Int64, to: Int64, live: Range<Int>, before: (Int64, inout NodeCore, inout Shell) -> Void = { _, _, _ in }
    ) {
        var t = from
        while t <= to {
            for i in live { beat(i, &core, &shell, at: t) }
            before(t, &core, &shell)
            core.noteStoreRead(at: JudgeTime(ms: t))
            shell.run(core.tick(now: at(t), alive: ["n1"], synced: true, confirmed: ["n1"]), on: &core, at: at(t))
            while core.sweepPending { shell.run(core.continueSweep(now: at(t)), on: &core, at: at(t)) }
            #expect(core.invariantViolation() == nil, "at \(t)")
            t += 250
        }
    }

    /// 20 executions registered at 0.
    func started() -> (NodeCore, Shell) {
        var core = self.core()
        var shell = Shell()
        for i in 0..<20 { beat(i, &core, &shell, at: 0) }
        return (core, shell)
    }

    @Test func aWorkerHostLostWithMostJobsIsMarkedByTheRuleAndReportedOnce() {
        var (core, shell) = started()
        run(&core, &shell, from: 250, to: 6_000, live: 14..<20)
        let marks = shell.marks
        #expect(Set(marks.map(\.id)) == Set((0..<14).map(Self.id)), "the 14 silent ones, and none of the 6 live ones")
        // Silent since 0: the rule's window is timeout + 2..3 intervals; all within + one interval.
        #expect(marks.allSatisfy { $0.atMs <= Self.rule.heartbeatTimeoutMs + 4 * Self.rule.checkIntervalMs }, "\(marks.map(\.atMs))")
        #expect(marks.allSatisfy { $0.reason.contains("14 of 20 went silent at once; the monitor was healthy") })
        let mass = shell.events(.monitorMassFailure)
        #expect(mass.map(\.key) == ["monitor.mass_failure:1"])
        #expect(mass.first?.detail?.contains("14 of 20 running executions went silent at once") == true)
        #expect(shell.events(.monitorDegraded).isEmpty)
        #expect(core.status.massFailure == nil, "once they are marked, the sweep is normal again")
    }

    @Test func everyExecutionSilentIsDegradedAtOnceHeldForTheHoldThenMarked() {
        var (core, shell) = started()
        run(&core, &shell, from: 250, to: 9_000, live: 0..<0)
        let degraded = shell.events(.monitorDegraded)
        #expect(degraded.map(\.key) == ["monitor.degraded:1"])
        // Stale from 1 s; reported by the first sweep that sees it.
        #expect(degraded.first.map { $0.occurredAtMs - 1_700_000_000_000 <= 1_000 + Self.rule.checkIntervalMs + 250 } == true)
        #expect(degraded.first?.detail?.contains("holding the first strike of 20 silent executions for up to 3 s") == true)
        let marks = shell.marks
        #expect(marks.count == 20)
        // No mark before the hold ends (stale at 1 s + 3 s), then the rule's 3 strikes.
        #expect(marks.allSatisfy { $0.atMs > 4_000 + 2 * Self.rule.checkIntervalMs - 250 }, "\(marks.map(\.atMs))")
        #expect(marks.allSatisfy { $0.atMs <= 4_000 + 3 * Self.rule.checkIntervalMs + 250 }, "\(marks.map(\.atMs))")
        #expect(marks.allSatisfy { $0.reason.contains("strikes were held for up to 3 s") })
        #expect(shell.events(.monitorRestored).count == 1, "restored once nothing is held any more")
        #expect(shell.events(.monitorMassFailure).isEmpty)
    }

    @Test func aReleaseIsDurableAndJudgesTheHeldExecutionsAtOnce() {
        var (core, shell) = started()
        run(&core, &shell, from: 250, to: 2_000, live: 0..<0)
        #expect(core.status.lastHeld == 20 && core.status.lastStruck == 0)
        #expect(shell.submit(core.releaseHold(now: at(2_100)), on: &core, at: at(2_100)) == .holdReleased)
        #expect(shell.records.last?.kind == .sweepRelease)
        // The next tick sweeps, whatever the interval: every one struck.
        run(&core, &shell, from: 2_250, to: 2_250, live: 0..<0)
        #expect(core.status.lastStruck == 20 && core.status.lastHeld == 0)
        run(&core, &shell, from: 2_500, to: 3_500, live: 0..<0)
        #expect(shell.marks.count == 20 && shell.marks.allSatisfy { $0.atMs < 4_000 }, "marked before the hold would have ended")
        // A peer reads the release from the store.
        var peer = self.core()
        let record = shell.records.last { $0.kind == .sweepRelease }!
        _ = peer.apply(stored: StoredRecord(node: "n2", position: record.position, kind: record.kind, term: record.term, time: record.time, payload: record.payload), now: at(2_300))
        #expect(peer.holdRelease.through == JudgeTime(ms: 2_100) && peer.holdRelease.latestNode == "n2")
    }

    @Test func aStoreWhoseLatestWriteFailedStopsTheLeaderUntilAWriteSucceeds() {
        var (core, shell) = started()
        var extra = 100
        // From 0.9 s to 1.6 s every write fails (a new execution's registration each tick).
        run(&core, &shell, from: 250, to: 1_750, live: 14..<20) { t, core, shell in
            guard (900...1_600).contains(t) else { return }
            shell.failing = true
            _ = shell.submit(core.receive(Heartbeat(executionID: Self.id(extra), containerID: "x", clientTimestamp: 1_700_000_000), now: at(t)), on: &core, at: at(t))
            extra += 1
            shell.failing = false
        }
        // A store whose writes fail is unfit to lead (StoreHealth.failing): nobody is judged by
        // this node meanwhile, and its peers would take over.
        #expect(!core.storeHealth.fitToLead(now: JudgeTime(ms: 1_750), recoveryMs: core.settings.storeRecoveryMs))
        #expect(core.status.leader != "n1")
        #expect(shell.marks.isEmpty)
        // A write succeeds (the pause flag, resumed): the evidence is whole again, and the mass
        // silence is a mass failure.
        _ = shell.submit(core.setPaused(false, now: at(1_800)), on: &core, at: at(1_800))
        run(&core, &shell, from: 2_000, to: 5_000, live: 14..<20)
        #expect(shell.events(.monitorMassFailure).count == 1)
        #expect(shell.marks.count == 14)
    }

    /// The leader restarts after reporting a mass failure and takes over again: it reads its
    /// report and the strikes from the store and reports nothing twice; without the report in the
    /// store (it died before writing it), it reports the episode itself.
    @Test(arguments: [true, false])
    func aNewLeadershipReportsAMassFailureOnce(reportWasWritten: Bool) {
        var (old, shell) = started()
        run(&old, &shell, from: 250, to: 1_750, live: 14..<20)
        #expect(shell.events(.monitorMassFailure).count == 1)
        #expect(old.table[Self.id(0)]?.strikes ?? 0 >= 1)
        var records = shell.records
        if !reportWasWritten { records.removeAll { $0.kind == .notificationEvent } }
        // The new incarnation: the store, then gossip brings the heartbeats (a peer's table).
        var core = self.core(started: 2_000)
        var next = Shell(records: records)
        next.run(core.restore(records, now: at(2_000)), on: &core, at: at(2_000))
        for i in 0..<20 {
            guard let record = old.table[Self.id(i)], let stamp = record.lastHeartbeatMs else { continue }
            _ = core.merge(remote: HeartbeatEntry(record), id: Self.id(i), origin: "n2", stampMs: stamp, now: at(2_000))
        }
        run(&core, &next, from: 2_000, to: 5_000, live: 14..<20)
        let reports = next.events(.monitorMassFailure)
        #expect(reports.count == 1)
        let written = Shell(records: Array(next.records.dropFirst(records.count))).events(.monitorMassFailure)
        #expect(written.count == (reportWasWritten ? 0 : 1), "the new leadership reports only what the store does not hold")
        #expect(Set(next.marks.map(\.id)) == Set((0..<14).map(Self.id)))
    }

    @Test func theReleaseAndTheEpisodeCountSurviveASnapshot() {
        var (core, shell) = started()
        run(&core, &shell, from: 250, to: 1_750, live: 14..<20)
        _ = shell.submit(core.releaseHold(now: at(1_800)), on: &core, at: at(1_800))
        guard let snapshot = core.snapshot(generation: 1), let decoded = NodeSnapshot(decoding: snapshot.encoded) else {
            Issue.record("no snapshot")
            return
        }
        #expect(decoded.holdRelease == NodeSnapshot.HoldReleaseStamp(timeMs: 1_700_000_001_800, node: "n1"))
        var restored = self.core(started: 2_000)
        _ = restored.restore(decoded, then: [], now: at(2_000))
        #expect(restored.holdRelease.through == JudgeTime(ms: 1_800))
        #expect(restored.outbox.massFailure.sequence == 1)
        #expect(restored.invariantViolation() == nil)
    }

    @Test func theStoresWriteEvidenceIsTheLatestRecentOutcome() {
        var health = StoreHealth()
        #expect(health.writeFailure(now: 0, recentMs: 1_000) == nil)
        health.writeFailed("EIO", at: 100)
        #expect(health.writeFailure(now: 500, recentMs: 1_000) == "EIO")
        #expect(health.writeFailure(now: 1_101, recentMs: 1_000) == nil, "an old failure says nothing of now")
        health.writeSucceeded(at: 200)
        #expect(health.writeFailure(now: 500, recentMs: 1_000) == nil)
    }
}
