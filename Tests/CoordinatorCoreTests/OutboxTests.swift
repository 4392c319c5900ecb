import CoordinatorCore
import Testing

/// The outbox alone: what is owed, when it is due, what settles it. Every step goes through
/// ``CheckedOutbox``, which checks the outbox's invariants after it.
@Suite struct OutboxTests {
    let id = ExecutionID(high: 1, low: 2)

    func at(_ ms: Int64, wall: Int64? = nil) -> NodeNow { NodeNow(wall: WallTime(ms: 1_700_000_000_000 + (wall ?? ms)), judge: JudgeTime(ms: ms)) }

    func outbox(_ channels: [ChannelRule] = [ChannelRule(name: "hook", events: [EventPattern("execution.failed")!])], configure: (inout Outbox.Settings) -> Void = { _ in }) -> CheckedOutbox {
        var settings = Outbox.Settings(channels: channels)
        configure(&settings)
        return CheckedOutbox(Outbox(settings: settings))
    }

    func failed(_ id: ExecutionID? = nil, at ms: Int64 = 0, container: String = "crawler-1") -> NotificationEvent {
        let id = id ?? self.id
        return NotificationEvent(
            kind: .executionFailed, key: NotificationEvent.key(.executionFailed, execution: id), executionID: id, occurredAtMs: 1_700_000_000_000 + ms,
            writer: "n1", term: 3, detail: "3 strikes", container: container
        )
    }

    @Test func nothingIsOwedBeforeTheEventIsDurableThenOneAttemptAtATime() {
        var box = outbox()
        #expect(box.due(now: at(0), term: 3).isEmpty)
        let result1 = box.record(failed(), now: at(0))
        #expect(result1)
        let attempts = box.due(now: at(0), term: 3)
        #expect(attempts.map(\.target.key) == ["execution.failed:\(id)"])
        #expect(attempts.first?.attempt == 1)
        #expect(attempts.first?.term == 3)
        // In flight: not asked for again, however late it gets.
        #expect(box.due(now: at(60_000), term: 3).isEmpty)
        // The same event again (another node derived it from the same record): nothing new.
        let result2 = box.record(failed(), now: at(10))
        #expect(!result2)
        #expect(box.pending.count == 1)
    }

    @Test func aFailureIsRetriedWithGrowingJitteredBackoffUpToTheCap() {
        var box = outbox { $0.firstRetryMs = 1_000; $0.maxRetryMs = 8_000 }
        box.record(failed(), now: at(0))
        var now: Int64 = 0
        var delays: [Int64] = []
        for attempt in 1...7 {
            let attempts = box.due(now: at(now), term: 1)
            #expect(attempts.count == 1 && attempts.first?.attempt == attempt)
            #expect(box.finished(attempts[0].target, attempt: attempt, result: .failed("HTTP 500"), now: at(now)) == nil)
            let dueAt = box.pending.values.first!.dueAt
            delays.append(dueAt.ms - now)
            // Not due a millisecond early.
            #expect(box.due(now: at(dueAt.ms - 1), term: 1).isEmpty)
            now = dueAt.ms
        }
        // Full delay d = min(8 s, 1 s × 2^(n-1)); the wait is in [d/2, d).
        for (n, delay) in delays.enumerated() {
            let full = min(8_000, 1_000 << Int64(n))
            #expect(delay >= full / 2 && delay < full, "retry \(n + 1) waited \(delay) ms")
        }
        #expect(box.pending.values.first?.lastError == "HTTP 500")
    }

    @Test func successAsksForADurableAcknowledgementThenSettles() {
        var box = outbox()
        box.record(failed(), now: at(0))
        let attempt = box.due(now: at(0), term: 1)[0]
        let ack = box.finished(attempt.target, attempt: 1, result: .delivered, now: at(20))
        #expect(ack == NotificationAck(key: attempt.target.key, channel: "hook", outcome: .delivered, attempts: 1))
        // Until the acknowledgement is durable nothing is sent again.
        #expect(box.due(now: at(100_000), term: 1).isEmpty)
        box.acknowledge(ack!, atMs: 1_700_000_000_030)
        #expect(box.pending.isEmpty)
        #expect(box.history.map(\.ack.outcome) == [.delivered])
        // A result for an attempt that is no longer in flight changes nothing.
        #expect(box.finished(attempt.target, attempt: 1, result: .delivered, now: at(40)) == nil)
    }

    @Test func pastTheHorizonADeliveryIsRecordedUndeliverable() {
        var box = outbox { $0.horizonMs = 10_000; $0.firstRetryMs = 4_000; $0.maxRetryMs = 4_000 }
        box.record(failed(), now: at(0))
        var now: Int64 = 0
        var last: NotificationAck?
        for attempt in 1...10 {
            guard let next = box.due(now: at(now), term: 1).first else { break }
            #expect(next.attempt == attempt)
            last = box.finished(next.target, attempt: attempt, result: .failed("timed out"), now: at(now))
            if last != nil { break }
            now = box.pending.values.first!.dueAt.ms
        }
        #expect(last?.outcome == .undeliverable)
        #expect(last?.lastError == "timed out")
        #expect(now >= 10_000)
    }

    @Test func anAcknowledgementReadBeforeItsEventLeavesNothingOwed() {
        var box = outbox()
        let key = NotificationEvent.key(.executionFailed, execution: id)
        box.acknowledge(NotificationAck(key: key, channel: "hook", outcome: .delivered, attempts: 2), atMs: 1_700_000_000_000)
        let result3 = box.record(failed(), now: at(0))
        #expect(!result3)
        #expect(box.pending.isEmpty)
    }

    @Test func eventsOlderThanTheHorizonAreNotOwed() {
        var box = outbox { $0.horizonMs = 60_000 }
        let result4 = box.record(failed(at: 0), now: at(61_000))
        #expect(!result4)
        #expect(box.pending.isEmpty)
    }

    @Test func channelsGetOnlyTheEventsAndContainersTheyAskFor() {
        let rules = [
            ChannelRule(name: "all", events: [EventPattern("*")!]),
            ChannelRule(name: "executions", events: [EventPattern("execution.*")!], containerPrefix: "crawler-"),
            ChannelRule(name: "nodes", events: [EventPattern("node.dead")!, EventPattern("node.alive")!]),
        ]
        var box = outbox(rules)
        box.record(failed(container: "crawler-7"), now: at(0))
        let other = ExecutionID(high: 5, low: 5)
        box.record(failed(other, container: "etl-1"), now: at(0))
        let dead = NotificationEvent(kind: .nodeDead, key: NotificationEvent.key(.nodeDead, node: "n2", sequence: 1), subjectNode: "n2", occurredAtMs: 1_700_000_000_000, writer: "n1", term: 1)
        box.record(dead, now: at(0))
        let targets = Set(box.pending.keys.map { "\($0.channel) \($0.key)" })
        #expect(targets == [
            "all execution.failed:\(id)", "executions execution.failed:\(id)", "all execution.failed:\(other)",
            "all node.dead:n2:1", "nodes node.dead:n2:1",
        ])
        #expect(EventPattern("execution.fail") == nil)
        #expect(EventPattern("bogus.*") == nil)
    }

    @Test func atMostMaxInFlightAttemptsPerChannel() {
        var box = outbox { $0.maxInFlight = 3 }
        for n in 1...10 { box.record(failed(ExecutionID(high: 7, low: UInt64(n))), now: at(0)) }
        let first = box.due(now: at(0), term: 1)
        #expect(first.count == 3)
        #expect(box.due(now: at(1), term: 1).isEmpty)
        _ = box.finished(first[0].target, attempt: 1, result: .failed("HTTP 503"), now: at(2))
        #expect(box.due(now: at(3), term: 1).count == 1)
        #expect(box.attemptsInFlight == 3)
    }

    @Test func abandonedAttemptsAreOwedAgainAtOnce() {
        var box = outbox()
        box.record(failed(), now: at(0))
        let attempt = box.due(now: at(0), term: 1)[0]
        box.abandonAttempts(now: at(5))
        // A new term sends it again; the old attempt's late answer is ignored.
        let again = box.due(now: at(5), term: 2)
        #expect(again.map(\.target) == [attempt.target])
        #expect(again.first?.attempt == 2)
        #expect(box.finished(attempt.target, attempt: 1, result: .delivered, now: at(6)) == nil)
    }

    @Test func aRevokedMarkIsNoLongerOwed() {
        var box = outbox()
        box.record(failed(), now: at(0))
        box.revoke(key: NotificationEvent.key(.executionFailed, execution: id))
        #expect(box.pending.isEmpty)
        #expect(box.due(now: at(10), term: 1).isEmpty)
    }

    @Test func recordsAndSnapshotsRoundTrip() {
        let event = NotificationEvent(
            kind: .nodeAlive, key: "node.alive:n2:2", executionID: id, subjectNode: "n2", occurredAtMs: 1_700_000_000_123, writer: "n1", term: 9,
            detail: "back", container: nil
        )
        #expect(NotificationEvent(payload: event.payload, writer: "n1", term: 9, timeMs: 1_700_000_000_123) == event)
        let ack = NotificationAck(key: "k", channel: "c", outcome: .undeliverable, attempts: 40, lastError: "HTTP 500")
        #expect(NotificationAck(payload: ack.payload) == ack)
        #expect(NotificationAck(payload: Array(ack.payload.dropLast())) == nil)

        var box = outbox([ChannelRule(name: "hook", events: [EventPattern("*")!])])
        box.record(failed(), now: at(0))
        let late = NotificationEvent(
            kind: .executionLate, key: NotificationEvent.key(.executionLate, execution: ExecutionID(high: 3, low: 3), stamp: 42),
            executionID: ExecutionID(high: 3, low: 3), occurredAtMs: 1_700_000_000_000, writer: "n1", term: 1
        )
        box.record(late, now: at(0))
        box.acknowledge(NotificationAck(key: late.key, channel: "hook", outcome: .delivered, attempts: 1), atMs: 1_700_000_000_001)
        box.record(NotificationEvent(kind: .nodeDead, key: "node.dead:n3:4", subjectNode: "n3", occurredAtMs: 1_700_000_000_000, writer: "n1", term: 1), now: at(0))
        var restored = outbox([ChannelRule(name: "hook", events: [EventPattern("*")!])])
        let result5 = restored.restore(snapshot: box.snapshotPayload, now: at(100))
        #expect(result5)
        #expect(Set(restored.pending.keys) == Set(box.pending.keys))
        #expect(restored.openLate == box.openLate)
        #expect(restored.nodeChanges == box.nodeChanges)
        let result6 = restored.record(late, now: at(200))
        #expect(!result6, "acknowledged before the snapshot: owed nothing after it")
        var damaged = outbox()
        let result7 = damaged.restore(snapshot: Array(box.snapshotPayload.dropLast(2)), now: at(0))
        #expect(!result7)
    }

    @Test func aBurstOnAGroupingChannelGoesOutAsOneDurableGroupUnderOneKey() {
        var box = outbox([ChannelRule(name: "chat", events: [EventPattern("execution.failed")!], groupWindowMs: 5_000, groupMax: 3)])
        let ids = (1...5).map { ExecutionID(high: 9, low: UInt64($0)) }
        for (n, id) in ids.enumerated() { box.record(failed(id, at: Int64(n) * 100), now: at(Int64(n) * 100)) }
        // Held for the window: nothing due before it ends.
        #expect(box.due(now: at(4_999), term: 1).isEmpty)
        #expect(box.takeGroupDecisions().isEmpty)
        // Then the first three are grouped (group_max 3): decided, not yet sent.
        #expect(box.due(now: at(5_000), term: 1).isEmpty)
        var groups = box.takeGroupDecisions()
        #expect(groups.map(\.members.count) == [3])
        let group = groups[0]
        #expect(group.key == "group:chat:execution.failed:\(ids[0])")
        #expect(NotificationGroup(payload: group.payload) == group)
        // Durable: sent as one message with its members; the members are not sent alone.
        box.applyGroup(group, now: at(5_010))
        let attempts = box.due(now: at(5_010), term: 1)
        #expect(attempts.map(\.target.key) == [group.key])
        #expect(attempts.first?.members.map(\.event.key) == ids.prefix(3).map { "execution.failed:\($0)" })
        // The two left over make a second group when their window ends.
        #expect(box.due(now: at(5_400), term: 1).isEmpty)
        groups = box.takeGroupDecisions()
        #expect(groups.map(\.members.count) == [2])
        // Acknowledging the group settles its members: replayed, they are owed nothing.
        let ack = box.finished(attempts[0].target, attempt: 1, result: .delivered, now: at(5_020))!
        box.acknowledge(ack, atMs: 1_700_000_005_030)
        #expect(box.pending[Outbox.Target(key: "execution.failed:\(ids[0])", channel: "chat")] == nil)
        let again = box.record(failed(ids[1], at: 100), now: at(6_000))
        #expect(!again)
        // A node that reads the acknowledgement before the group record owes nothing either.
        var other = outbox([ChannelRule(name: "chat", events: [EventPattern("execution.failed")!], groupWindowMs: 5_000)])
        other.acknowledge(ack, atMs: 1_700_000_005_030)
        for id in ids.prefix(3) { other.record(failed(id), now: at(0)) }
        other.applyGroup(group, now: at(10))
        #expect(other.pending.isEmpty)
    }

    @Test func anEventAloneInItsWindowIsSentAlone() {
        var box = outbox([ChannelRule(name: "chat", events: [EventPattern("*")!], groupWindowMs: 1_000)])
        box.record(failed(), now: at(0))
        let attempts = box.due(now: at(1_000), term: 1)
        #expect(attempts.map(\.target.key) == ["execution.failed:\(id)"])
        #expect(attempts.first?.members.isEmpty == true)
        #expect(box.takeGroupDecisions().isEmpty)
    }

    @Test func aGroupWhoseWriteFailedLeavesItsMembersOwedAloneAndRegroupable() {
        var box = outbox([ChannelRule(name: "chat", events: [EventPattern("execution.failed")!], groupWindowMs: 1_000, groupMax: 5)])
        let ids = (1...3).map { ExecutionID(high: 4, low: UInt64($0)) }
        for id in ids { box.record(failed(id), now: at(0)) }
        #expect(box.due(now: at(1_000), term: 1).isEmpty)
        let group = box.takeGroupDecisions()[0]
        #expect(group.members.count == 3)
        // One member's mark is voided while its group is being written.
        box.revoke(key: NotificationEvent.key(.executionFailed, execution: ids[2]))
        box.groupNotWritten(group, now: at(1_100))
        #expect(box.pending.count == 2)
        #expect(box.due(now: at(2_099), term: 1).isEmpty)
        #expect(box.due(now: at(2_100), term: 1).isEmpty)
        let regrouped = box.takeGroupDecisions()
        #expect(regrouped.map(\.members.count) == [2])
    }

    @Test func anAcknowledgementWhoseWriteFailedIsAskedForAgainOnce() {
        var box = outbox()
        box.record(failed(), now: at(0))
        let attempt = box.due(now: at(0), term: 1)[0]
        let ack = box.finished(attempt.target, attempt: 1, result: .delivered, now: at(10))!
        box.ackNotWritten(ack)
        #expect(box.takeUnwrittenAcks() == [ack])
        #expect(box.takeUnwrittenAcks().isEmpty)
        // Still not sent again while the acknowledgement is being written.
        #expect(box.due(now: at(100_000), term: 1).isEmpty)
        box.acknowledge(ack, atMs: 1_700_000_000_020)
        #expect(box.pending.isEmpty)
    }

    @Test func nodeAndMonitorChangesAreTrackedFromTheirTypedSerialsWhateverTheNodeIsCalled() {
        var box = outbox([ChannelRule(name: "hook", events: [EventPattern("*")!])], configure: { $0.repeatIntervalMs = 60_000 })
        func event(_ kind: EventKind, node: String?, key: String) -> NotificationEvent {
            NotificationEvent(kind: kind, key: key, subjectNode: node, occurredAtMs: 1_700_000_000_000, writer: "n1", term: 1)
        }
        // A node named like the reminder marker, and one whose name holds colons.
        box.record(event(.nodeDead, node: "reminder", key: NotificationEvent.key(.nodeDead, node: "reminder", sequence: 3)), now: at(0))
        box.record(event(.nodeDead, node: "10.0.0.7:7946", key: NotificationEvent.key(.nodeDead, node: "10.0.0.7:7946", sequence: 5)), now: at(0))
        // A reminder changes nothing; a later change does.
        let reminder = NotificationEvent.reminderKey(of: NotificationEvent.key(.nodeDead, node: "reminder", sequence: 3), number: 2)
        box.record(event(.nodeDead, node: "reminder", key: reminder), now: at(0))
        box.record(event(.monitorDegraded, node: nil, key: NotificationEvent.key(.monitorDegraded, sequence: 2)), now: at(0))
        #expect(box.nodeChanges["reminder"].map { [$0.dead ? 1 : 0, Int64($0.sequence), $0.sinceMs] } == [1, 3, 1_700_000_000_000])
        #expect(box.nodeChanges["10.0.0.7:7946"]?.sequence == 5)
        #expect(box.monitor.dead && box.monitor.sequence == 2 && box.monitor.sinceMs == 1_700_000_000_000)
        box.record(event(.nodeAlive, node: "reminder", key: NotificationEvent.key(.nodeAlive, node: "reminder", sequence: 4)), now: at(0))
        #expect(box.nodeChanges["reminder"]?.dead == false)
        #expect(box.nodeChanges["reminder"]?.sequence == 4)
    }
}
