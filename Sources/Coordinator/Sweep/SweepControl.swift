import Synchronization

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

    public init() {}

    public var status: Status { state.withLock { $0 } }

    public var isPaused: Bool { state.withLock { $0.paused } }

    public func setPaused(_ paused: Bool) {
        state.withLock { $0.paused = paused }
    }

    func update(_ body: (inout Status) -> Void) {
        state.withLock { body(&$0) }
    }
}
