import CoordinatorCore

extension CoordinatorNode {
    /// Each probed service: its settings, durable state, and (on the prober) the last probe.
    public var services: [(settings: ServiceSettings, state: ServiceState, last: Prober.Observation?, rule: ServiceRule)] {
        let (states, live, rules) = read { core in (core.prober.states, core.prober.live, core.prober.rules) }
        return rules.compactMap { rule in
            guard let settings = driver.services[rule.name] else { return nil }
            return (settings, states[rule.name] ?? ServiceState(name: rule.name), live[rule.name]?.last, rule)
        }
    }

    /// Whether this node probes now, and whether the prober is stopped cluster-wide.
    public var proberStatus: (probing: Bool, paused: Bool, enabled: Bool) {
        read { ($0.mayProbe, $0.probePaused, !$0.prober.rules.isEmpty) }
    }
}
