import CoordinatorCore
import ServiceLifecycle

/// Paces seed 002's prober: while this node probes, it wakes when the next probe is due (so a
/// probe is late by milliseconds, not by a tick); otherwise it checks every 250 ms whether it
/// has started probing (it became leader, the prober was started).
public struct ProbeService: Service {
    let node: CoordinatorNode

    public init(node: CoordinatorNode) {
        self.node = node
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            let wait: Int64
            if let next = node.probeStep() {
                wait = min(250, max(1, next.ms - node.now().judge.ms))
            } else {
                wait = 250
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(wait)) }
            } catch {
                return
            }
        }
    }
}
