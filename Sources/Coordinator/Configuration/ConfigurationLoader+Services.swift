import VigilJSON

extension ConfigurationLoader.Reader {
    /// `services`: a list of probed services with distinct names, each starting from `defaults`
    /// (the `probes` section's timing).
    func services(_ value: JSONValue, _ name: String, defaults: ServiceSettings.Timing) throws(ConfigurationError) -> [ServiceSettings] {
        var services: [ServiceSettings] = []
        for (r, s) in try items(value, name, problem: "must be an array of service objects") {
            let service = try r.service(s, defaults: defaults)
            guard !services.contains(where: { $0.name == service.name }) else { throw r.fail("name", "\"\(service.name)\" names two services") }
            services.append(service)
        }
        return services
    }

    /// One service: its scalar and timing keys through ``ConfigKeys/serviceItem`` (remembering
    /// which timing keys it set itself), its name, URL, health rule and repair here.
    func service(_ s: JSONObject, defaults: ServiceSettings.Timing) throws(ConfigurationError) -> ServiceSettings {
        var service = ServiceSettings(name: "", url: "", timing: defaults)
        let present = try read(s, ConfigKeys.serviceItem, into: &service, extra: ["name", "url", "healthy", "repair"])
        service.explicitTiming = present.intersection(ConfigKeys.timing.map(\.path))
        service.name = try itemName(s["name"])
        guard let url = try string(s["url"], "url") else { throw fail("url", "is required: the URL to probe, e.g. http://127.0.0.1:5000/health") }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw fail("url", "must be an http:// or https:// URL, got \"\(url)\"") }
        service.url = url
        if let h = try object(s["healthy"], "healthy") { service.health = try below("healthy").health(h) }
        if let value = s["repair"] { service.repair = try repair(value, "repair") }
        return service
    }

    /// A service's `healthy` rule: status codes, then the body, then a JSON field.
    func health(_ h: JSONObject) throws(ConfigurationError) -> ServiceSettings.Health {
        try checkKeys(h, allowed: ["status", "body_contains", "json_field", "json_equals"])
        var health = ServiceSettings.Health()
        if let value = h["status"] {
            guard case .array(let codes) = value, !codes.isEmpty else { throw fail("status", "must be a non-empty array of HTTP status codes") }
            health.statuses = try codes.enumerated().map { (i, code) throws(ConfigurationError) in
                guard case .int(let c) = code, (100...599).contains(c) else { throw fail("status[\(i)]", "must be an HTTP status code from 100 to 599") }
                return Int(c)
            }
        }
        health.bodyContains = try string(h["body_contains"], "body_contains")
        health.jsonField = try string(h["json_field"], "json_field")
        health.jsonEquals = h["json_equals"]
        guard (health.jsonField == nil) == (health.jsonEquals == nil) else {
            throw fail("json_field", "json_field and json_equals go together (e.g. \"json_field\": \"status\", \"json_equals\": \"ok\")")
        }
        return health
    }

    /// A `repair` (or `probes.node_repair`): its scalar keys through ``ConfigKeys/repair``, the
    /// command and the webhook here.
    func repair(_ value: JSONValue, _ name: String) throws(ConfigurationError) -> ServiceSettings.Repair {
        let o = try asObject(value, name)
        let r = below(name)
        var repair = ServiceSettings.Repair()
        try r.read(o, ConfigKeys.repair, into: &repair, extra: ["command", "webhook"])
        if let command = o["command"] {
            repair.command = try r.argv(command, "command", problem: "must be a non-empty array of strings (argv; no shell unless \"shell\": true)")
        }
        if repair.shell, repair.command?.count != 1 { throw r.fail("shell", "with \"shell\": true the command is one shell line: [\"systemctl restart app && sleep 1\"]") }
        if let w = try r.object(o["webhook"], "webhook") {
            let wr = r.below("webhook")
            try wr.checkKeys(w, allowed: ["url", "secret"])
            guard let url = try wr.string(w["url"], "url"), url.hasPrefix("http://") || url.hasPrefix("https://") else { throw wr.fail("url", "is required: an http:// or https:// URL") }
            repair.webhookURL = url
            if let secret = try wr.string(w["secret"], "secret") {
                guard WebhookSecret(secret) != nil else { throw wr.fail("secret", "must be \"whsec_\" followed by base64 of 24-64 bytes (Standard Webhooks)") }
                repair.webhookSecret = secret
            }
        }
        guard repair.command != nil || repair.webhookURL != nil else { throw r.fail("command", "a repair needs a command, a webhook, or both") }
        return repair
    }
}
