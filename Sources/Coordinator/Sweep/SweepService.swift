import CoordinatorCore
import Logging
import ServiceLifecycle

/// Paces the sweep duty: every tick (250 ms, or the check interval if shorter) it gives the node
/// membership and catch-up, and the node's core decides (leadership, strikes, marks) and writes.
///
/// `clock` only paces the ticks; ages are measured on the node's judge clock.
public struct SweepService<C: Clock>: Service where C.Duration == Duration {
    let node: CoordinatorNode
    let membership: any MembershipSource
    let clock: C

    public init(node: CoordinatorNode, membership: any MembershipSource, clock: C = ContinuousClock()) {
        self.node = node
        self.membership = membership
        self.clock = clock
    }

    public func run() async throws {
        let interval = Duration.milliseconds(min(SweepRule(node.configuration.executions).checkIntervalMs, Self.tickMs))
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            } catch {
                return
            }
            await check()
        }
    }

    /// One check (exposed for tests that drive time by hand).
    func check() async {
        await node.tick(
            alive: membership.aliveNodes(), synced: membership.syncedWithAlivePeers(), confirmed: membership.confirmedNodes(), storeReports: membership.storeReports()
        )
    }

    /// How often leadership is re-evaluated (at most; never less often than the check interval).
    static var tickMs: Int64 { 250 }
}
