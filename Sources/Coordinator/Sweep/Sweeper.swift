/// The sweep, as a pure state machine: the leader's judgement of which running executions have
/// gone silent.
///
/// Liveness is measured on the judge's own monotonic clock: an execution's age is the time since
/// this sweeper first *saw* its newest heartbeat (`observe`), the way Kubernetes' node controller
/// uses its own probe timestamps. Clock skew between coordinators, or between a container and
/// the coordinators, changes no decision. Wall-clock times only go into the explanation of a mark.
///
/// Strike counts can be seeded from elsewhere (``restoreStrikes(_:)``: gossip or the store), so a
/// new leader continues the count of the old one instead of restarting it.
public struct Sweeper: Sendable {
    public let rule: SweepRule

    /// What this judge knows about one running execution.
    public struct Tracked: Sendable, Equatable {
        /// Identifies the newest heartbeat seen (e.g. its server receive time at the origin);
        /// `nil` while the execution never heartbeated.
        public var heartbeatVersion: Int64?
        /// Judge's monotonic ms when it first saw `heartbeatVersion` (or the registration).
        public var firstSeenMs: Int64
        public var strikes: Int
        /// Wall-clock ms of each sweep that struck, oldest first (for the mark's explanation).
        public var strikeTimesMs: [Int64]
    }

    public private(set) var tracked: [ExecutionID: Tracked] = [:]

    public init(rule: SweepRule) {
        self.rule = rule
    }

    /// Records what the judge currently knows of a running execution, at monotonic `nowMs`.
    /// A heartbeat version it has not seen before restarts the age and clears the strikes.
    public mutating func observe(_ id: ExecutionID, heartbeatVersion: Int64?, nowMs: Int64) {
        if var entry = tracked[id] {
            guard entry.heartbeatVersion != heartbeatVersion, let version = heartbeatVersion,
                entry.heartbeatVersion.map({ version > $0 }) ?? true
            else { return }
            entry.heartbeatVersion = version
            entry.firstSeenMs = nowMs
            entry.strikes = 0
            entry.strikeTimesMs = []
            tracked[id] = entry
        } else {
            tracked[id] = Tracked(heartbeatVersion: heartbeatVersion, firstSeenMs: nowMs, strikes: 0, strikeTimesMs: [])
        }
    }

    /// Stops tracking an execution (it finished, or was marked).
    public mutating func forget(_ id: ExecutionID) {
        tracked[id] = nil
    }

    /// Continues strike counts learned from a previous leader (higher counts win).
    public mutating func restoreStrikes(_ strikes: [ExecutionID: Int]) {
        for (id, count) in strikes {
            guard var entry = tracked[id], count > entry.strikes else { continue }
            entry.strikes = count
            tracked[id] = entry
        }
    }

    /// One check. `nowMs` is the judge's monotonic clock, `wallMs` the wall clock (for marks).
    /// - Parameter lastOrigin: which coordinator last saw each execution, with whether that
    ///   coordinator is alive; used by the mass-failure guard.
    public mutating func sweep(nowMs: Int64, wallMs: Int64, lastOrigin: (ExecutionID) -> (node: String, alive: Bool)? = { _ in nil }) -> SweepOutcome {
        var outcome = SweepOutcome(processed: tracked.count)
        var stale: [ExecutionID] = []
        var lost: [ExecutionID] = []
        for (id, entry) in tracked {
            let age = nowMs - entry.firstSeenMs
            guard age > rule.heartbeatTimeoutMs else {
                if entry.strikes > 0 { outcome.recovered.append(id) }
                continue
            }
            if entry.heartbeatVersion == nil { lost.append(id) } else { stale.append(id) }
        }
        // Mass-failure guard: too many silent at once, or all silent ones behind one dead coordinator.
        let silent = stale.count + lost.count
        if tracked.count >= rule.massFailureMinimum, Double(silent) > rule.massFailureShare * Double(tracked.count) {
            outcome.degraded = .massSilence(silent: silent, running: tracked.count)
            return outcome
        }
        if silent >= 2 {
            let origins = (stale + lost).map(lastOrigin)
            if let first = origins.first ?? nil, !first.alive, origins.allSatisfy({ $0?.node == first.node }) {
                outcome.degraded = .coordinatorLost(node: first.node, silent: silent)
                return outcome
            }
        }
        for id in outcome.recovered {
            tracked[id]?.strikes = 0
            tracked[id]?.strikeTimesMs = []
        }
        for id in lost {
            outcome.marked.append(SweepMark(executionID: id, rule: .neverHeartbeated, strikes: 0, strikeTimesMs: []))
            tracked[id] = nil
        }
        for id in stale {
            var entry = tracked[id]!
            entry.strikes += 1
            entry.strikeTimesMs.append(wallMs)
            if entry.strikes >= rule.maxStrikes {
                outcome.marked.append(SweepMark(executionID: id, rule: .stale, strikes: entry.strikes, strikeTimesMs: entry.strikeTimesMs))
                tracked[id] = nil
            } else {
                tracked[id] = entry
                outcome.struck.append(SweepStrike(executionID: id, strikes: entry.strikes))
            }
        }
        outcome.marked.sort { $0.executionID < $1.executionID }
        outcome.struck.sort { $0.executionID < $1.executionID }
        outcome.recovered.sort()
        return outcome
    }

    /// Strike counts above zero (to gossip and persist).
    public var strikes: [ExecutionID: Int] {
        tracked.compactMapValues { $0.strikes > 0 ? $0.strikes : nil }
    }

    /// Every tracked entry is consistent: strikes below the limit and one time per strike.
    public func checkInvariants() -> Bool {
        tracked.values.allSatisfy { $0.strikes >= 0 && $0.strikes < rule.maxStrikes && $0.strikeTimesMs.count <= $0.strikes }
    }
}

/// What one sweep decided.
public struct SweepOutcome: Sendable, Equatable {
    /// Running executions examined.
    public var processed: Int
    /// Executions that got a strike but are not yet marked.
    public var struck: [SweepStrike] = []
    /// Executions to mark FAILED.
    public var marked: [SweepMark] = []
    /// Executions whose strikes a fresh heartbeat cleared.
    public var recovered: [ExecutionID] = []
    /// Set when the guard blamed the monitor: then nothing was struck or marked.
    public var degraded: DegradedReason?

    public init(processed: Int) {
        self.processed = processed
    }
}

/// One strike short of a mark.
public struct SweepStrike: Sendable, Equatable {
    public var executionID: ExecutionID
    public var strikes: Int

    public init(executionID: ExecutionID, strikes: Int) {
        self.executionID = executionID
        self.strikes = strikes
    }
}

/// The sweep's verdict on one execution; the node turns it into a durable failure mark.
public struct SweepMark: Sendable, Equatable {
    /// Which rule fired.
    public enum Rule: String, Sendable {
        /// Heartbeats stopped: `strikes` consecutive checks found the newest one too old.
        case stale
        /// Registered, never heartbeated, and the timeout passed.
        case neverHeartbeated = "never_heartbeated"
    }

    public var executionID: ExecutionID
    public var rule: Rule
    public var strikes: Int
    public var strikeTimesMs: [Int64]

    public init(executionID: ExecutionID, rule: Rule, strikes: Int, strikeTimesMs: [Int64]) {
        self.executionID = executionID
        self.rule = rule
        self.strikes = strikes
        self.strikeTimesMs = strikeTimesMs
    }
}

/// Why a sweep refused to strike.
public enum DegradedReason: Sendable, Equatable, CustomStringConvertible {
    case massSilence(silent: Int, running: Int)
    case coordinatorLost(node: String, silent: Int)

    public var description: String {
        switch self {
        case .massSilence(let silent, let running):
            "monitor degraded: \(silent) of \(running) running executions went silent at once; not striking"
        case .coordinatorLost(let node, let silent):
            "monitor degraded: all \(silent) silent executions were last seen through \(node), which is down; not striking"
        }
    }
}
