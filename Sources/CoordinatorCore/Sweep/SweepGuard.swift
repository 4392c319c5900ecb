/// The mass-failure guard: tells a monitor that may be blind from jobs that died.
///
/// A silence is a *mass* silence when more than `massFailureShare` of at least
/// `massFailureMinimum` running executions are silent in one sweep. Then:
/// - with evidence that the monitor is healthy — every configured coordinator confirmed alive,
///   the store's writes succeeding, and heartbeats still arriving for the executions that are
///   not silent — it is a mass failure (a worker host that ran most jobs died): judged by the
///   rule at once, and reported as one (``Verdict/massFailure(_:)``);
/// - without it the monitor may be blind (the containers reach no node, a load balancer broke,
///   a coordinator they used is down, the store fails): ``Verdict/blind(_:)``.
///
/// Two more silences are blind verdicts too: any silence (of at least `massFailureMinimum`
/// running) while no heartbeat arrives for any execution (when every container is cut off at
/// once, the first go stale a heartbeat period before the rest, in a sweep that finds less than
/// the share silent); and two or more silent executions all last seen through one coordinator
/// that is down (containers that keep using a dead node are lost to the monitor, not
/// necessarily dead).
///
/// A blind verdict holds back only the *first* strike of each silent execution, and only until it
/// has been stale for `massFailureHoldMs`, counted from its own staleness (the moment its newest
/// heartbeat passed the timeout, on the judge's clock), or until an operator's release
/// (``MonitorEvidence/releasedThrough``). That is a rule every node computes alike from data it
/// has (the heartbeat, the strike count), so a hold that started under one leader ends when it
/// would have under the next, with no record of its own. An execution already struck is never
/// held, so a count, once begun, goes on. The cluster-wide pause (`/admin/heartbeat/stop`) stops
/// every sweep and so holds longer.
///
/// "Heartbeats still arriving" means some running execution's newest heartbeat was seen within
/// half a heartbeat timeout. When every container is cut off at once, each execution goes stale
/// at most one heartbeat period after the cut, so at any sweep that finds one stale the newest
/// heartbeat anywhere is older than the timeout less one period: half a timeout separates the
/// two for any period up to half the timeout (the seeds send every 30 s against 300 s).
public enum SweepGuard {
    /// What the guard concluded from one sweep's survey.
    public enum Verdict: Sendable, Equatable {
        /// No mass silence and nothing behind a dead coordinator: the rule as it stands.
        case normal
        /// A mass silence while the monitor was healthy: the rule as it stands, reported.
        case massFailure(MassSilence)
        /// The monitor may be blind: first strikes are held (``holdable(seen:strikes:now:rule:releasedThrough:)``).
        case blind(DegradedReason)
    }

    /// A heartbeat seen within this of the sweep is one "still arriving".
    public static func arrivalWindowMs(_ rule: SweepRule) -> Int64 { rule.heartbeatTimeoutMs / 2 }

    /// Whether the silence the survey found is a mass silence.
    static func isMass(silent: Int, running: Int, rule: SweepRule) -> Bool {
        running >= rule.massFailureMinimum && Double(silent) > rule.massFailureShare * Double(running)
    }

    /// The verdict on `silent` of `running` executions, before the dead-coordinator check. A
    /// silence too small to be a mass silence is blind too when no heartbeat arrives at all: when
    /// every container is cut off at once, the first of them go stale (one heartbeat period
    /// before the rest) in a sweep that finds less than the share silent.
    static func verdict(silent: Int, running: Int, newestFresh: JudgeTime?, now: JudgeTime, rule: SweepRule, evidence: MonitorEvidence) -> Verdict {
        guard silent > 0, running >= rule.massFailureMinimum else { return .normal }
        let doubt = doubt(newestFresh: newestFresh, now: now, rule: rule, evidence: evidence)
        guard isMass(silent: silent, running: running, rule: rule) else {
            guard case .noRecentHeartbeats? = doubt else { return .normal }
            return .blind(.massSilence(silent: silent, running: running, doubt: doubt!))
        }
        guard let doubt else { return .massFailure(MassSilence(silent: silent, running: running)) }
        return .blind(.massSilence(silent: silent, running: running, doubt: doubt))
    }

    /// The first reason to doubt the monitor's health, or `nil` when the evidence says it is healthy.
    static func doubt(newestFresh: JudgeTime?, now: JudgeTime, rule: SweepRule, evidence: MonitorEvidence) -> MonitorDoubt? {
        let window = arrivalWindowMs(rule)
        guard let newest = newestFresh, now - newest <= window else { return .noRecentHeartbeats(windowMs: window) }
        if !evidence.unconfirmed.isEmpty { return .unconfirmed(evidence.unconfirmed.sorted()) }
        if let failure = evidence.storeFailure { return .storeFailing(failure) }
        return nil
    }

    /// Whether a blind verdict holds back this silent execution's strike now: it has none yet,
    /// it has been stale for less than the hold, and no release covers it.
    public static func holdable(seen: JudgeTime, strikes: UInt8, now: JudgeTime, rule: SweepRule, releasedThrough: JudgeTime?) -> Bool {
        guard strikes == 0 else { return false }
        let staleSince = seen + rule.heartbeatTimeoutMs
        if let released = releasedThrough, staleSince <= released { return false }
        return now - staleSince < rule.massFailureHoldMs
    }
}

/// What a node knows of its own health when it sweeps: the evidence ``SweepGuard`` weighs before
/// it blames a mass silence on the jobs rather than on the monitor.
public struct MonitorEvidence: Sendable, Equatable {
    /// Configured coordinators this node does not consider alive.
    public var down: Set<String>
    /// Configured coordinators not confirmed alive (suspect or down); empty: every one confirmed.
    public var unconfirmed: Set<String>
    /// What the store said when its latest write failed, if the latest (recent) write failed.
    public var storeFailure: String?
    /// An operator's release of the hold (`vigil sweep release`), on this node's judge clock:
    /// executions stale at or before it are judged now.
    public var releasedThrough: JudgeTime?
    /// When the judge's latest complete read of the store began (``NodeCore/storeReadThrough``):
    /// a completion acknowledged by any node before then is known here. `nil`: no constraint
    /// (a node without a shared store).
    public var readThrough: JudgeTime?

    public init(down: Set<String> = [], unconfirmed: Set<String> = [], storeFailure: String? = nil, releasedThrough: JudgeTime? = nil, readThrough: JudgeTime? = nil) {
        self.down = down
        self.unconfirmed = unconfirmed.union(down)
        self.storeFailure = storeFailure
        self.releasedThrough = releasedThrough
        self.readThrough = readThrough
    }
}

/// How many executions went silent at once, of how many running.
public struct MassSilence: Sendable, Equatable, CustomStringConvertible {
    public var silent: Int
    public var running: Int

    public init(silent: Int, running: Int) {
        self.silent = silent
        self.running = running
    }

    public var description: String {
        "\(silent) of \(running) running executions went silent at once; the monitor was healthy (every coordinator confirmed alive, store writes succeeding, heartbeats still arriving for the others)"
    }
}

/// Why the monitor may be blind to a mass silence.
public enum MonitorDoubt: Sendable, Equatable, CustomStringConvertible {
    /// No running execution's heartbeat was seen within the window: the containers may reach no node.
    case noRecentHeartbeats(windowMs: Int64)
    /// These coordinators are not confirmed alive: executions that used them may be lost to the monitor.
    case unconfirmed([String])
    /// The store's latest write failed (what it said).
    case storeFailing(String)

    public var description: String {
        switch self {
        case .noRecentHeartbeats(let window): "no heartbeat arrived for any execution in the last \(window / 1000) s"
        case .unconfirmed(let nodes): "\(nodes.joined(separator: ", ")) \(nodes.count == 1 ? "is" : "are") not confirmed alive"
        case .storeFailing(let detail): "the store's last write failed (\(detail))"
        }
    }
}

/// Why a sweep held strikes back: the monitor may be blind.
public enum DegradedReason: Sendable, Equatable, CustomStringConvertible {
    case massSilence(silent: Int, running: Int, doubt: MonitorDoubt)
    case coordinatorLost(node: String, silent: Int)

    public var description: String {
        switch self {
        case .massSilence(let silent, let running, let doubt):
            "monitor degraded: \(silent) of \(running) running executions went silent at once and \(doubt)"
        case .coordinatorLost(let node, let silent):
            "monitor degraded: all \(silent) silent executions were last seen through \(node), which is down"
        }
    }
}
