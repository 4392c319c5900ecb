import Coordinator
import CoordinatorCore
import CoordinatorSimulation
import Testing

/// Notifications across failovers, on the simulated cluster (real cores, real gossip): the
/// leader dies right after sending, the receiver is down for a while and fails some first
/// attempts. Every marked execution's `execution.failed` reaches the receiver under one key.
@Suite struct NotificationSimulationTests {
    static func settings(seed: UInt64) -> ClusterSimulation.Settings {
        var s = ClusterSimulation.Settings()
        s.seed = seed
        s.executions = 600
        s.dyingShare = 0.05
        s.durationMs = 1_600_000
        var outbox = Outbox.Settings(channels: [ChannelRule(name: "hook", events: [EventPattern("execution.failed")!])])
        outbox.firstRetryMs = 1_000
        outbox.maxRetryMs = 60_000
        s.notifications = outbox
        s.receiverFailShare = 0.3
        return s
    }

    @Test(arguments: [31, 32, 33] as [UInt64])
    func theLeaderDyingMidSendLosesNoEventAndNeverChangesAKey(seed: UInt64) {
        var s = Self.settings(seed: seed)
        // Marks fall between ~11 and ~16 minutes; the first sender after 12 min dies mid-send.
        s.killSenderAfterMs = 720_000
        s.receiverDown = 800_000..<900_000
        let report = ClusterSimulation.run(s)
        #expect(report.sendersKilled == 1)
        #expect(report.terms >= 2)
        #expect(report.falseMarks.isEmpty)
        #expect(report.lostMarks.isEmpty)
        #expect(!report.firstAttemptLatenciesMs.isEmpty)
        #expect(report.lostNotifications.isEmpty, "marked but never notified: \(report.lostNotifications)")
        #expect(report.notifiedUnderTwoKeys.isEmpty)
        #expect(report.notificationsForLive.isEmpty)
        // Retries happened (500s, the receiver down), all under the event's one key.
        #expect(report.attempts > report.received.count)
    }

    @Test func withTheReceiverUpTheFirstAttemptFollowsTheMarkAtOnce() {
        var s = Self.settings(seed: 41)
        s.receiverFailShare = 0
        let report = ClusterSimulation.run(s)
        #expect(report.lostNotifications.isEmpty)
        #expect(report.received.values.allSatisfy { $0 == 1 }, "no failover, no failure: each event delivered once")
        // The leader marks, then attempts at once (the mark's own write report) — no tick wait.
        #expect(report.firstAttemptLatenciesMs.allSatisfy { $0 <= 250 }, "\(report.firstAttemptLatenciesMs.max() ?? 0) ms")
    }
}
