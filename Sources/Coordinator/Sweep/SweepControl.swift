import Synchronization
import CoordinatorCore

/// The sweep's shared, observable state: the pause flag (seed 002's
/// `/admin/heartbeat/stop|start`), who leads in which term, and how the last sweep went.
/// Written by ``SweepService`` and the admin endpoints, read by health and status endpoints.
public final class SweepControl: Sendable {
    /// A snapshot for people.
    public struct Status: Sendable, Equatable {
        public var paused = false
        public var leader: String?
        public var term: UInt64 = 0
        public var quorum = false
        public var sweeping = false
        public var lastSweepWallMs: Int64?
        public var lastProcessed = 0
        public var lastStruck = 0
        public var lastMarked = 0
        public var degraded: String?
        public var totalMarked = 0
    }

    private let state = Mutex(Status())
    /// (wall ms, node) of the pause flag's latest change: the cluster-wide flag is the latest
    /// write, whichever node made it, so nodes that see two changes in different orders agree.
    private let pauseVersion = Mutex<(Int64, String)>((.min, ""))

    public init() {}

    public var status: Status { state.withLock { $0 } }

    public var isPaused: Bool { state.withLock { $0.paused } }

    public func setPaused(_ paused: Bool) {
        state.withLock { $0.paused = paused }
    }

    /// The time to stamp a new local change with: now, or just after the latest change seen if
    /// this node's clock is behind, so an operator's change here always takes effect.
    public func nextPauseStampMs(wallMs: Int64) -> Int64 {
        pauseVersion.withLock { max(wallMs, $0.0 == .min ? wallMs : $0.0 + 1) }
    }

    /// Applies a pause-flag change made by `node` at wall time `timeMs`, unless a later change
    /// (by time, then node id) is already applied. Returns whether it applied.
    @discardableResult
    public func setPaused(_ paused: Bool, atMs timeMs: Int64, by node: String) -> Bool {
        let newer = pauseVersion.withLock { version in
            guard (timeMs, node) > version else { return false }
            version = (timeMs, node)
            return true
        }
        if newer { setPaused(paused) }
        return newer
    }

    func update(_ body: (inout Status) -> Void) {
        state.withLock { body(&$0) }
    }
}
