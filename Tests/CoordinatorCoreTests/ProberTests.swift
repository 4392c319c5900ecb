import CoordinatorCore
import Testing

/// Seed 002's prober rule on virtual time: what each probe result changes, when a repair runs
/// and when it does not.
@Suite struct ProberTests {
    static func rule() -> ServiceRule {
        var rule = ServiceRule(name: "api")
        rule.intervalMs = 1_000
        rule.maxRetries = 3
        rule.successThreshold = 2
        rule.repairable = true
        rule.cooldownMs = 10_000
        rule.cooldownCapMs = 40_000
        rule.startupGraceMs = 2_000
        rule.maxRepairs = 3
        rule.repairWindowMs = 120_000
        return rule
    }

    func at(_ ms: Int64) -> NodeNow { NodeNow(wall: WallTime(ms: 1_700_000_000_000 + ms), judge: JudgeTime(ms: ms)) }
    let ok = ProbeResult(healthy: true, latencyMs: 3, detail: "HTTP 200")
    let bad = ProbeResult(healthy: false, latencyMs: 1_000, detail: "connection refused")

    /// Probes once a second from `from` to `to` with `result(t)`; durable writes land at once;
    /// repairs end (with `repairSucceeds`) one second after they start. Returns what happened.
    struct Run {
        var prober = Prober(rules: [ProberTests.rule()])
        var repairs: [Int64] = []
        var events: [(Int64, EventKind)] = []
        var suppressed: [Int64] = []
        var pendingRepair: (RepairRequest, Int64)?

        mutating func go(from: Int64, to: Int64, repairSucceeds: Bool = true, _ result: (Int64, [Int64]) -> ProbeResult) {
            var t = from
            while t <= to {
                let now = NodeNow(wall: WallTime(ms: 1_700_000_000_000 + t), judge: JudgeTime(ms: t))
                if let (request, started) = pendingRepair, t >= started + 1_000 {
                    pendingRepair = nil
                    if let state = prober.repairEnded(request, succeeded: repairSucceeds, detail: repairSucceeds ? "ok" : "exit 1", now: now) { land(state, at: t) }
                }
                for request in prober.due(now: now.judge) {
                    let decision = prober.observe(request.service, result(t, repairs), now: now)
                    if let until = decision.suppressedUntilMs { suppressed.append(until - 1_700_000_000_000) }
                    if let state = decision.state { land(state, at: t) }
                    if let repair = decision.repair {
                        repairs.append(t)
                        pendingRepair = (repair, t)
                    }
                }
                t += 100
            }
        }

        mutating func land(_ state: ServiceState, at t: Int64) {
            prober.written(state, term: 1, timeMs: 1_700_000_000_000 + t)
            for event in state.events { events.append((t, event)) }
        }

        var state: ServiceState { prober.states["api"]! }
    }

    @Test func threeFailuresMakeItDownAndRepairOnceThenTheCountStartsAfterAGrace() {
        var run = Run()
        // Healthy for 5 s, then dead until repaired (the repair brings it back 1.5 s later).
        var repairedAt: Int64?
        run.go(from: 0, to: 20_000) { t, repairs in
            if let r = repairedAt, t >= r + 1_500 { return ok }
            if t >= 5_000 { if let last = repairs.last { repairedAt = last }; return bad }
            return ok
        }
        #expect(run.repairs.count == 1, "repairs at \(run.repairs)")
        let first = run.repairs[0]
        // Down after the third failed probe, one interval apart: within 3 intervals of the death.
        #expect(first > 5_000 && first <= 8_000)
        #expect(run.events.map(\.1) == [.serviceDown, .serviceRepaired, .serviceUp])
        #expect(run.state.down == false)
        #expect(run.state.failures == 0)
        #expect(run.state.repairNumber == 1)
    }

    @Test func aServiceDeadAgainInsideTheCooldownWaitsForIt() {
        var run = Run()
        // Dead at 2 s, repaired (healthy 1.5 s after the repair), dead again at 9 s: inside the
        // 10 s cooldown of the first repair's start.
        run.go(from: 0, to: 40_000) { t, repairs in
            if t < 2_000 { return ok }
            if let first = repairs.first, t >= first + 1_500, t < 9_000 { return ok }
            if repairs.count >= 2, t >= repairs[1] + 1_500 { return ok }
            return bad
        }
        #expect(run.repairs.count == 2, "repairs at \(run.repairs)")
        #expect(run.repairs[1] - run.repairs[0] >= 10_000, "the second repair respected the cooldown")
        // Reported at each of the three probes that found it down inside the cooldown.
        #expect(run.suppressed.count == 3, "the suppressed repair was reported: \(run.suppressed)")
        #expect(run.suppressed.allSatisfy { $0 == run.repairs[0] + 10_000 })
    }

    @Test func repairsThatDoNotHelpBackOffThenStopWithAnEvent() {
        var run = Run()
        run.go(from: 0, to: 120_000) { _, _ in bad }
        // Cooldown 10 s, then 20 s (the first did not help), then stop: 3 repairs in the 120 s
        // window (once the first leaves it, repairs may start again: a rate limit).
        #expect(run.repairs.count == 3, "repairs at \(run.repairs), events \(run.events)")
        let gaps = zip(run.repairs.dropFirst(), run.repairs).map { $0 - $1 }
        #expect(gaps[0] >= 10_000 && gaps[0] < 12_500)
        #expect(gaps[1] >= 20_000 && gaps[1] < 22_500)
        #expect(run.events.filter { $0.1 == .serviceRepairExhausted }.count == 1)
        #expect(run.events.filter { $0.1 == .serviceDown }.count == 1, "one down episode")
        #expect(run.state.exhausted)
    }

    @Test func aFlappingServiceDoesNotFlapItsState() {
        var run = Run()
        var rule = Self.rule()
        rule.repairable = false
        run.prober = Prober(rules: [rule])
        // Down, then alternating pass/fail: one pass never reaches the threshold of 2.
        run.go(from: 0, to: 20_000) { t, _ in
            t < 4_000 ? bad : (t / 1_000) % 2 == 0 ? ok : bad
        }
        #expect(run.events.map(\.1) == [.serviceDown])
        #expect(run.state.down)
        run.go(from: 20_100, to: 25_000) { _, _ in ok }
        #expect(run.events.map(\.1) == [.serviceDown, .serviceUp])
    }

    @Test func aNewLeaderContinuesTheCountAndNeverRepairsInsideTheOldCooldown() {
        var old = Run()
        old.go(from: 0, to: 4_000) { t, _ in t < 1_000 ? ok : bad }
        #expect(old.repairs.count == 1)
        // The old leader dies mid-repair: its "repairing" state is all the store has.
        var next = Run()
        for stored in old.prober.storedStates { next.prober.apply(stored: stored.state, term: stored.term, timeMs: stored.timeMs) }
        #expect(next.state.repairing)
        next.go(from: 4_100, to: 90_000) { _, _ in bad }
        // The unfinished repair is taken as ended after its time limit; the next repair waits
        // for the old cooldown.
        // Two by 90 s: the first once the old one is taken as ended (its time limit) and three
        // failures count again after the grace, the second a doubled cooldown (20 s) later, as
        // the first did not help; the next would wait for a cooldown of 40 s.
        #expect(next.repairs.count == 2, "repairs at \(next.repairs)")
        #expect(next.repairs[0] >= old.repairs[0] + ServiceRule(name: "x").repairTimeoutMs)
        #expect(next.repairs[0] >= old.repairs[0] + 10_000)
        #expect(next.state.repairNumber == 3, "numbered after the old leader's repair: \(next.state.repairNumber)")
    }

    @Test func failuresCountOnlyAfterTheStartupGrace() {
        var run = Run()
        run.go(from: 0, to: 5_000) { t, _ in t < 1_000 ? ok : bad }
        #expect(run.repairs.count == 1)
        let repairEnd = run.repairs[0] + 1_000
        // Still failing after the repair: within the 2 s grace nothing counts.
        run.go(from: 5_100, to: repairEnd + 1_900) { _, _ in bad }
        #expect(run.state.graceUntilMs == 1_700_000_000_000 + repairEnd + 2_000)
        #expect(run.state.failures == 0)
        // After it, the count starts again from zero.
        run.go(from: repairEnd + 2_000, to: repairEnd + 5_500) { _, _ in bad }
        #expect(run.state.failures == 3, "failures \(run.state.failures)")
        #expect(run.repairs.count == 1, "the cooldown holds the next repair")
    }

    @Test func statesRoundTrip() {
        var state = ServiceState(name: "main_service")
        state.failures = 4
        state.down = true
        state.downSequence = 2
        state.repairNumber = 3
        state.repairing = true
        state.repairTimesMs = [1, 2, 3]
        state.lastRepairAtMs = 3
        state.cooldownMs = 20_000
        state.graceUntilMs = 9
        state.exhausted = true
        state.lastRepairOutcome = "command exited with status 1: boom"
        state.events = [.serviceDown, .serviceRepairExhausted]
        #expect(ServiceState(payload: state.payload) == state)
        #expect(ServiceState(payload: Array(state.payload.dropLast())) == nil)
        #expect(state.key(.serviceDown) == "service.down:main_service:2")
        #expect(state.key(.serviceRepaired) == "service.repaired:main_service:3")
    }
}
