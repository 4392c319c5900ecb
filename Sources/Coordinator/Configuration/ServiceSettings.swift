import CoordinatorCore
import Foundation
import Gossip
import VigilJSON

/// Seed 002's prober: the `probes` section (defaults for every service, the environment's
/// `HEARTBEAT_*` names) and the `services` list.
public struct ProbeSettings: Sendable, Equatable {
    /// `HEARTBEAT_ENABLED`: with `false` nothing is probed.
    public var enabled = true
    /// `HEARTBEAT_AUTO_START`: with `false` the prober waits for `POST /admin/heartbeat/start`.
    public var autoStart = true
    /// Defaults for every service (each may override them).
    public var defaults = ServiceSettings.Timing()
    /// Every Vigil node is a probed service (`vigil-<id>`, its own `/health`).
    public var watchNodes = true
    /// How to mend a Vigil node; `{node}` in the command or URL becomes the node's id
    /// (e.g. `["systemctl", "restart", "vigil@{node}"]`).
    public var nodeRepair: ServiceSettings.Repair?
    public var services: [ServiceSettings] = []

    public init() {}

    /// The services probed: the configured ones, then (with ``watchNodes``) every node.
    public func effectiveServices(nodes: [NodeAddress]) -> [ServiceSettings] {
        guard enabled else { return [] }
        var all = services
        if watchNodes {
            for node in nodes where !all.contains(where: { $0.name == "vigil-\(node.id)" }) {
                let host = node.http.host == "0.0.0.0" ? "127.0.0.1" : node.http.host == "::" ? "[::1]" : node.http.host.contains(":") ? "[\(node.http.host)]" : node.http.host
                var service = ServiceSettings(name: "vigil-\(node.id)", url: "http://\(host):\(node.http.port)/health", timing: defaults)
                service.description = "Vigil coordinator \(node.id)"
                service.critical = true
                service.repair = nodeRepair.map { $0.substituting(node: node.id) }
                all.append(service)
            }
        }
        return all
    }
}

/// One probed service (seed 002's `monitored_services` entry, and more).
public struct ServiceSettings: Sendable, Equatable {
    /// Pacing and thresholds (the `probes` section's defaults, or a service's own; each key is
    /// described in ``ConfigKeys/timing``).
    public struct Timing: Sendable, Equatable {
        /// Time between two probes.
        public var interval: Duration = .seconds(30)
        /// A probe fails after this long.
        public var timeout: Duration = .seconds(5)
        /// Failed probes in a row that make the service down.
        public var maxRetries = 3
        /// No repair within this long of the previous one's start.
        public var restartCooldown: Duration = .seconds(300)
        /// A repair that did not help doubles the cooldown, up to this.
        public var restartCooldownMax: Duration = .seconds(3_600)
        /// Failed probes this soon after a repair do not count.
        public var startupGrace: Duration = .seconds(30)
        /// At most this many repairs within ``repairWindow``.
        public var maxRepairs = 3
        public var repairWindow: Duration = .seconds(1_800)
        /// Passed probes in a row that make a down service up.
        public var successThreshold = 2

        public init() {}
    }

    /// What counts as healthy.
    public struct Health: Sendable, Equatable {
        /// Status codes that pass (default: any 2xx).
        public var statuses: [Int] = []
        /// The body must contain this.
        public var bodyContains: String?
        /// The body must be JSON whose field (a dotted path) equals ``jsonEquals``.
        public var jsonField: String?
        public var jsonEquals: JSONValue?

        public init() {}
    }

    /// How to mend it: a command and/or a webhook.
    public struct Repair: Sendable, Equatable {
        public var command: [String]?
        /// Run `command` through `/bin/sh -c` (its one element is a shell line).
        public var shell = false
        public var webhookURL: String?
        public var webhookSecret: String?
        /// The command's run, or the webhook's request, fails after this long. Default 60 s.
        public var timeout: Duration = .seconds(60)

        public init() {}

        func substituting(node: String) -> Repair {
            var copy = self
            copy.command = command?.map { $0.replacingOccurrences(of: "{node}", with: node) }
            copy.webhookURL = webhookURL?.replacingOccurrences(of: "{node}", with: node)
            return copy
        }
    }

    public var name: String
    public var url: String
    public var description = ""
    /// Seed 002's field: a critical service's failure makes `/health/detailed` degraded.
    public var critical = true
    public var timing: Timing
    /// The timing keys the file set for this service itself (`interval_s`, …): an environment
    /// default (`HEARTBEAT_CHECK_INTERVAL`, …) never overrides them.
    public var explicitTiming: Set<String> = []
    public var health = Health()
    public var repair: Repair?

    public init(name: String, url: String, timing: Timing = Timing()) {
        self.name = name
        self.url = url
        self.timing = timing
    }

    /// The core's rule for it.
    public var rule: ServiceRule {
        var rule = ServiceRule(name: name)
        rule.intervalMs = timing.interval.wholeMilliseconds
        rule.timeoutMs = timing.timeout.wholeMilliseconds
        rule.maxRetries = timing.maxRetries
        rule.successThreshold = timing.successThreshold
        rule.repairable = repair != nil
        rule.cooldownMs = timing.restartCooldown.wholeMilliseconds
        rule.cooldownCapMs = max(rule.cooldownMs, timing.restartCooldownMax.wholeMilliseconds)
        rule.startupGraceMs = timing.startupGrace.wholeMilliseconds
        rule.maxRepairs = timing.maxRepairs
        rule.repairWindowMs = timing.repairWindow.wholeMilliseconds
        rule.repairTimeoutMs = (repair ?? Repair()).timeout.wholeMilliseconds + 5_000
        return rule
    }
}
