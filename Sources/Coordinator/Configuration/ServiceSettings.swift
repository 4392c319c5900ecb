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
    /// Pacing and thresholds.
    public struct Timing: Sendable, Equatable {
        public var intervalS: Double = 30
        public var timeoutS: Double = 5
        public var maxRetries = 3
        public var restartCooldownS: Double = 300
        public var restartCooldownMaxS: Double = 3_600
        public var startupGraceS: Double = 30
        public var maxRepairs = 3
        public var repairWindowS: Double = 1_800
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
        public var timeoutS: Double = 60

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
        rule.intervalMs = Int64(timing.intervalS * 1000)
        rule.timeoutMs = Int64(timing.timeoutS * 1000)
        rule.maxRetries = timing.maxRetries
        rule.successThreshold = timing.successThreshold
        rule.repairable = repair != nil
        rule.cooldownMs = Int64(timing.restartCooldownS * 1000)
        rule.cooldownCapMs = max(rule.cooldownMs, Int64(timing.restartCooldownMaxS * 1000))
        rule.startupGraceMs = Int64(timing.startupGraceS * 1000)
        rule.maxRepairs = timing.maxRepairs
        rule.repairWindowMs = Int64(timing.repairWindowS * 1000)
        rule.repairTimeoutMs = Int64((repair?.timeoutS ?? 60) * 1000) + 5_000
        return rule
    }
}

extension ConfigurationLoader.Reader {
    func timing(_ o: JSONObject, into timing: inout ServiceSettings.Timing) throws(ConfigurationError) {
        if let v = try number(o["interval_s"], "interval_s") { timing.intervalS = v }
        if let v = try number(o["timeout_s"], "timeout_s") { timing.timeoutS = v }
        if let v = try integer(o["max_retries"], "max_retries", in: 1...1000) { timing.maxRetries = v }
        if let v = try number(o["restart_cooldown_s"], "restart_cooldown_s", allowZero: true) { timing.restartCooldownS = v }
        if let v = try number(o["restart_cooldown_max_s"], "restart_cooldown_max_s", allowZero: true) { timing.restartCooldownMaxS = v }
        if let v = try number(o["startup_grace_s"], "startup_grace_s", allowZero: true) { timing.startupGraceS = v }
        if let v = try integer(o["max_repairs"], "max_repairs", in: 1...1000) { timing.maxRepairs = v }
        if let v = try number(o["repair_window_s"], "repair_window_s") { timing.repairWindowS = v }
        if let v = try integer(o["success_threshold"], "success_threshold", in: 1...1000) { timing.successThreshold = v }
    }

    static let timingKeys: Set<String> = [
        "interval_s", "timeout_s", "max_retries", "restart_cooldown_s", "restart_cooldown_max_s", "startup_grace_s", "max_repairs", "repair_window_s",
        "success_threshold",
    ]

    mutating func probes(_ o: JSONObject?, services list: JSONValue?) throws(ConfigurationError) -> ProbeSettings {
        var settings = ProbeSettings()
        if let o {
            let r = ConfigurationLoader.Reader(path: key("probes"))
            try r.checkKeys(o, allowed: Self.timingKeys.union(["enabled", "auto_start", "watch_nodes", "node_repair"]))
            if let v = try r.bool(o["enabled"], "enabled") { settings.enabled = v }
            if let v = try r.bool(o["auto_start"], "auto_start") { settings.autoStart = v }
            if let v = try r.bool(o["watch_nodes"], "watch_nodes") { settings.watchNodes = v }
            try r.timing(o, into: &settings.defaults)
            if let repair = try r.object(o["node_repair"], "node_repair") { settings.nodeRepair = try ConfigurationLoader.Reader(path: r.key("node_repair")).repair(repair) }
        }
        guard let list else { return settings }
        guard case .array(let entries) = list else { throw fail("services", "must be an array of service objects") }
        for (i, entry) in entries.enumerated() {
            let r = ConfigurationLoader.Reader(path: key("services[\(i)]"))
            guard case .object(let s) = entry else { throw fail("services[\(i)]", "must be an object") }
            let service = try r.service(s, defaults: settings.defaults)
            guard !settings.services.contains(where: { $0.name == service.name }) else { throw r.fail("name", "\"\(service.name)\" names two services") }
            settings.services.append(service)
        }
        return settings
    }

    func service(_ s: JSONObject, defaults: ServiceSettings.Timing) throws(ConfigurationError) -> ServiceSettings {
        try checkKeys(s, allowed: Self.timingKeys.union(["name", "url", "description", "critical", "healthy", "repair"]))
        guard let name = try string(s["name"], "name") else { throw fail("name", "is required") }
        guard name.utf8.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw fail("name", "must be 1-64 ASCII letters, digits, '-', '_' or '.', got \"\(name)\"")
        }
        guard let url = try string(s["url"], "url") else { throw fail("url", "is required: the URL to probe, e.g. http://127.0.0.1:5000/health") }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw fail("url", "must be an http:// or https:// URL, got \"\(url)\"") }
        var service = ServiceSettings(name: name, url: url, timing: defaults)
        if let v = try string(s["description"], "description") { service.description = v }
        if let v = try bool(s["critical"], "critical") { service.critical = v }
        try timing(s, into: &service.timing)
        if let h = try object(s["healthy"], "healthy") {
            let r = ConfigurationLoader.Reader(path: key("healthy"))
            try r.checkKeys(h, allowed: ["status", "body_contains", "json_field", "json_equals"])
            if let value = h["status"] {
                guard case .array(let codes) = value, !codes.isEmpty else { throw r.fail("status", "must be a non-empty array of HTTP status codes") }
                for (i, code) in codes.enumerated() {
                    guard case .int(let c) = code, (100...599).contains(c) else { throw r.fail("status[\(i)]", "must be an HTTP status code from 100 to 599") }
                    service.health.statuses.append(Int(c))
                }
            }
            service.health.bodyContains = try r.string(h["body_contains"], "body_contains")
            service.health.jsonField = try r.string(h["json_field"], "json_field")
            service.health.jsonEquals = h["json_equals"]
            guard (service.health.jsonField == nil) == (service.health.jsonEquals == nil) else {
                throw r.fail("json_field", "json_field and json_equals go together (e.g. \"json_field\": \"status\", \"json_equals\": \"ok\")")
            }
        }
        if let repair = try object(s["repair"], "repair") { service.repair = try ConfigurationLoader.Reader(path: key("repair")).repair(repair) }
        return service
    }

    func repair(_ o: JSONObject) throws(ConfigurationError) -> ServiceSettings.Repair {
        try checkKeys(o, allowed: ["command", "shell", "timeout_s", "webhook"])
        var repair = ServiceSettings.Repair()
        if let value = o["command"] {
            guard case .array(let parts) = value, !parts.isEmpty else { throw fail("command", "must be a non-empty array of strings (argv; no shell unless \"shell\": true)") }
            var argv: [String] = []
            for (i, part) in parts.enumerated() {
                guard case .string(let text) = part, !text.isEmpty else { throw fail("command[\(i)]", "must be a non-empty string") }
                argv.append(text)
            }
            repair.command = argv
        }
        if let v = try bool(o["shell"], "shell") { repair.shell = v }
        if repair.shell, repair.command?.count != 1 { throw fail("shell", "with \"shell\": true the command is one shell line: [\"systemctl restart app && sleep 1\"]") }
        if let v = try number(o["timeout_s"], "timeout_s") { repair.timeoutS = v }
        if let w = try object(o["webhook"], "webhook") {
            let r = ConfigurationLoader.Reader(path: key("webhook"))
            try r.checkKeys(w, allowed: ["url", "secret"])
            guard let url = try r.string(w["url"], "url"), url.hasPrefix("http://") || url.hasPrefix("https://") else { throw r.fail("url", "is required: an http:// or https:// URL") }
            repair.webhookURL = url
            if let secret = try r.string(w["secret"], "secret") {
                guard WebhookSecret(secret) != nil else { throw r.fail("secret", "must be \"whsec_\" followed by base64 of 24-64 bytes (Standard Webhooks)") }
                repair.webhookSecret = secret
            }
        }
        guard repair.command != nil || repair.webhookURL != nil else { throw fail("command", "a repair needs a command, a webhook, or both") }
        return repair
    }

    func bool(_ value: JSONValue?, _ name: String) throws(ConfigurationError) -> Bool? {
        guard let value else { return nil }
        guard case .bool(let b) = value else { throw fail(name, "must be true or false, got \(value.kindName)") }
        return b
    }
}
