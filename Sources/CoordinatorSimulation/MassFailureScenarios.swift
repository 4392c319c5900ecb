import CoordinatorCore

/// The big silences of issue 22 as seeded cluster simulations (3 nodes, seed 000's rule, the
/// default 600 s hold, one notification channel that wants `monitor.*` and `execution.failed`),
/// shared by the tests and `vigil-bench mass-failure`.
extension ClusterSimulation.Settings {
    /// A worker host that ran `share` of the executions dies at `atMs`; the rest keep beating and
    /// every coordinator stays healthy.
    public static func workerHostLost(seed: UInt64, executions: Int = 200, share: Double = 0.7, atMs: Int64 = 400_000) -> Self {
        var s = massFailureBase(seed: seed, executions: executions)
        s.massDeath = (atMs: atMs, share: share)
        s.durationMs = atMs + 1_000_000
        return s
    }

    /// Every container is lost to the monitor at `atMs` for good (from the monitor's side the same
    /// as all of them cut off and never back): nothing arrives at any node.
    public static func everyContainerLost(seed: UInt64, executions: Int = 200, atMs: Int64 = 400_000) -> Self {
        var s = workerHostLost(seed: seed, executions: executions, share: 1, atMs: atMs)
        s.durationMs = atMs + 1_800_000
        return s
    }

    /// Every container's heartbeats are lost on the way during `window` (a load balancer broke),
    /// then arrive again: shorter than timeout + hold, so nothing may be marked.
    public static func everyContainerCutOff(seed: UInt64, executions: Int = 200, window: Range<Int64> = 400_000..<900_000) -> Self {
        var s = massFailureBase(seed: seed, executions: executions)
        s.cutOff = window
        s.durationMs = window.upperBound + 900_000
        return s
    }

    static func massFailureBase(seed: UInt64, executions: Int) -> Self {
        var s = ClusterSimulation.Settings()
        s.seed = seed
        s.executions = executions
        s.dyingShare = 0
        s.completingShare = 0
        s.checkInvariants = true
        s.notifications = Outbox.Settings(channels: [ChannelRule(name: "ops", events: ["monitor.*", "execution.failed"].compactMap(EventPattern.init))])
        return s
    }
}

/// What a mass-failure run showed, in the terms of issue 22's figures.
public struct MassFailureFigures: Sendable {
    public var dying: Int
    public var marked: Int
    public var falseMarks: Int
    public var lostMarks: Int
    public var duplicateMarks: Int
    /// Last heartbeat received → mark, ms (min, max).
    public var latencyMs: ClosedRange<Int64>?
    /// Distinct `monitor.mass_failure` / `monitor.degraded` / `monitor.restored` events received (reminders aside).
    public var massFailureEvents: Int
    public var degradedEvents: Int
    public var restoredEvents: Int
    /// When the receiver first got a `monitor.degraded` event, ms of simulated time.
    public var firstDegradedAtMs: Int64?
    public var firstRestoredAtMs: Int64?

    public init(_ report: ClusterSimulation.Report) {
        dying = report.dying
        marked = report.detectionLatenciesMs.count
        falseMarks = report.falseMarks.count
        lostMarks = report.lostMarks.count
        duplicateMarks = report.duplicateMarks.count
        if let low = report.detectionLatenciesMs.min(), let high = report.detectionLatenciesMs.max() { latencyMs = low...high }
        func keys(_ kind: EventKind) -> [String] { report.received.keys.filter { $0.hasPrefix("\(kind.rawValue):") && !$0.contains(":reminder:") } }
        massFailureEvents = keys(.monitorMassFailure).count
        degradedEvents = keys(.monitorDegraded).count
        restoredEvents = keys(.monitorRestored).count
        firstDegradedAtMs = keys(.monitorDegraded).compactMap { report.receivedAtMs[$0] }.min()
        firstRestoredAtMs = keys(.monitorRestored).compactMap { report.receivedAtMs[$0] }.min()
    }
}
