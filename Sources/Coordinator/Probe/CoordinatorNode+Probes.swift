import CoordinatorCore
import Foundation
import Logging

extension CoordinatorNode {
    /// Makes the probes due now (each in its own task) and says when the next is due; `nil`
    /// when this node does not probe now (it does not lead, or the prober is stopped).
    public func probeStep() -> JudgeTime? {
        let now = clocks.now()
        let (requests, next) = mutate { $0.probesDue(now: now) }
        for request in requests {
            guard let service = serviceSettings[request.service] else { continue }
            Task {
                let result = await self.serviceProber?.probe(service) ?? ProbeResult(healthy: false, latencyMs: 0, detail: "no prober on this node")
                await self.probed(request, result)
            }
        }
        return next
    }

    /// Reports a probe's result to the core and carries out what follows.
    func probed(_ request: ProbeRequest, _ result: ProbeResult) async {
        let now = clocks.now()
        let actions = mutate { $0.probed(request, result: result, now: now) }
        await perform(actions)
    }

    /// Runs a repair whose start is durable, then reports its outcome.
    func runRepair(_ request: RepairRequest) async {
        guard let service = serviceSettings[request.service] else { return }
        logger.warning("Repairing service", metadata: ["service": "\(request.service)", "service.repair": "\(request.number)"])
        let outcome: (succeeded: Bool, detail: String) = await serviceProber?.repair(service, number: request.number) ?? (false, "no prober on this node")
        probeMetrics.repaired(request.service, succeeded: outcome.succeeded)
        let metadata: Logger.Metadata = ["service": "\(request.service)", "service.repair": "\(request.number)", "service.repair_outcome": "\(outcome.detail)"]
        if outcome.succeeded {
            logger.notice("Service repair succeeded", metadata: metadata)
        } else {
            logger.error("Service repair failed", metadata: metadata)
        }
        let now = clocks.now()
        let actions = mutate { $0.repairFinished(request, succeeded: outcome.succeeded, detail: outcome.detail, now: now) }
        await perform(actions)
    }

    /// Each probed service: its settings, durable state, and (on the prober) the last probe.
    public var services: [(settings: ServiceSettings, state: ServiceState, last: Prober.Observation?, rule: ServiceRule)] {
        let (states, live, rules) = read { core in (core.prober.states, core.prober.live, core.prober.rules) }
        return rules.compactMap { rule in
            guard let settings = serviceSettings[rule.name] else { return nil }
            return (settings, states[rule.name] ?? ServiceState(name: rule.name), live[rule.name]?.last, rule)
        }
    }

    /// Whether this node probes now, and whether the prober is stopped cluster-wide.
    public var proberStatus: (probing: Bool, paused: Bool, enabled: Bool) {
        read { ($0.mayProbe, $0.probePaused, !$0.prober.rules.isEmpty) }
    }
}
