/// Timings of the SWIM + Lifeguard failure detector. Defaults suit a LAN of a handful of nodes.
///
/// With the defaults a crashed node is declared dead about 3.5 s after it stops (one probe period
/// to suspect it, then ``suspicionMinimum`` once every peer confirmed), while a node that merely
/// pauses for 3 s is never convicted: the earliest possible conviction is `probeInterval +
/// suspicionMinimum` = 3.2 s after the pause began, and it refutes as soon as it runs again.
public struct MembershipSettings: Sendable, Hashable {
    /// Time between two probes of this node (scaled by the local health multiplier). Default 0.4 s.
    public var probeInterval: Duration = .milliseconds(400)
    /// How long a direct ping waits for an ack before indirect probes start (scaled). Default 0.2 s.
    public var probeTimeout: Duration = .milliseconds(200)
    /// How many peers are asked to ping-req a silent target (SWIM's k). Default 3.
    public var indirectProbes: Int = 3
    /// The suspicion timeout once every expected confirmation arrived, for clusters of ≤ 10 nodes
    /// (it grows with log₁₀ N beyond that). Default 2.8 s.
    public var suspicionMinimum: Duration = .milliseconds(2800)
    /// The suspicion timeout with no confirmation, as a multiple of the minimum (Lifeguard's α
    /// ratio; the paper uses 6 with a shorter minimum). Default 2.
    public var suspicionMaximumFactor: Double = 2
    /// SWIM's λ: each update is piggybacked λ·⌈log₁₀(N+1)⌉ times. Default 4.
    public var retransmitMultiplier: Int = 4
    /// Lifeguard's local health ceiling: probe interval and timeout are multiplied by `score + 1`.
    /// Default 8.
    public var maxLocalHealth: Int = 8
    /// How often one dead member (or unanswered seed) is re-probed. Default 1 s.
    public var deadProbeInterval: Duration = .seconds(1)
    /// A gap between two ticks longer than this means this node was paused: it then convicts nobody
    /// until it has heard from a peer again. Default 1 s.
    public var pauseThreshold: Duration = .seconds(1)

    public init() {}
}
