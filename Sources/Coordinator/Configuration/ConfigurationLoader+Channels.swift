import CoordinatorCore
import VigilJSON

extension ConfigurationLoader.Reader {
    /// `notifications.channels`: a list of channels with distinct names.
    func channels(_ value: JSONValue, _ name: String) throws(ConfigurationError) -> [ChannelSettings] {
        var channels: [ChannelSettings] = []
        for (r, c) in try items(value, name, problem: "must be an array of channel objects") {
            let channel = try r.channel(c)
            guard !channels.contains(where: { $0.name == channel.name }) else { throw r.fail("name", "\"\(channel.name)\" names two channels") }
            channels.append(channel)
        }
        return channels
    }

    /// One channel: its scalar keys through ``ConfigKeys/channel``, its name, kind and events here.
    func channel(_ c: JSONObject) throws(ConfigurationError) -> ChannelSettings {
        var channel = ChannelSettings(name: "", kind: .command(argv: []), events: [])
        try read(c, ConfigKeys.channel, into: &channel, extra: ["name", "type", "url", "secret", "argv", "events", "container_prefix", "kinds", "dsn", "statement"])
        channel.name = try itemName(c["name"])
        channel.kind = try channelKind(c)
        if c["format"] != nil, !channel.kind.isWebhook {
            throw fail("format", "applies to webhook channels (a command always gets the JSON event, a postgres statement its fields)")
        }
        guard case .array(let list)? = c["events"], !list.isEmpty else {
            throw fail("events", "is required: event names or patterns, e.g. [\"execution.failed\", \"node.*\"] or [\"*\"]")
        }
        channel.events = try list.enumerated().map { (i, item) throws(ConfigurationError) in
            guard case .string(let text) = item, let pattern = EventPattern(text) else {
                throw fail("events[\(i)]", "must name events: one of \(EventKind.allCases.map(\.rawValue).joined(separator: ", ")), a family such as \"execution.*\", or \"*\"")
            }
            return pattern
        }
        channel.containerPrefix = try string(c["container_prefix"], "container_prefix")
        if let value = c["kinds"] {
            guard case .array(let list) = value else { throw fail("kinds", "must be an array of kind names, e.g. [\"etl\"]") }
            channel.kinds = try list.enumerated().map { (i, item) throws(ConfigurationError) in try itemName(item, as: "kinds[\(i)]") }
        }
        return channel
    }

    /// A channel's or a service's `name`: 1-64 ASCII letters, digits, '-', '_' or '.'.
    func itemName(_ value: JSONValue?) throws(ConfigurationError) -> String {
        guard let name = try string(value, "name") else { throw fail("name", "is required") }
        guard name.utf8.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw fail("name", "must be 1-64 ASCII letters, digits, '-', '_' or '.', got \"\(name)\"")
        }
        return name
    }

    func channelKind(_ c: JSONObject) throws(ConfigurationError) -> ChannelSettings.Kind {
        switch try string(c["type"], "type") {
        case "webhook":
            guard let url = try string(c["url"], "url") else { throw fail("url", "is required for a webhook channel") }
            guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count > 8 else { throw fail("url", "must be an http:// or https:// URL, got \"\(url)\"") }
            guard let secret = try string(c["secret"], "secret") else {
                throw fail("secret", "is required for a webhook channel: \"whsec_\" and base64 of 24-64 random bytes (e.g. `echo whsec_$(openssl rand -base64 32)`)")
            }
            guard WebhookSecret(secret) != nil else {
                throw fail("secret", "must be \"whsec_\" followed by base64 of 24-64 bytes (Standard Webhooks), e.g. `echo whsec_$(openssl rand -base64 32)`")
            }
            guard c["argv"] == nil else { throw fail("argv", "belongs to a command channel, not a webhook") }
            return .webhook(url: url, secret: secret)
        case "command":
            guard let value = c["argv"] else { throw fail("argv", "is required for a command channel: a non-empty array of strings") }
            let argv = try self.argv(value, "argv", problem: "is required for a command channel: a non-empty array of strings")
            guard c["url"] == nil, c["secret"] == nil else { throw fail("url", "url and secret belong to a webhook channel, not a command") }
            return .command(argv: argv)
        case "postgres":
            return try postgresKind(c)
        case let other:
            throw fail("type", "must be \"webhook\", \"command\" or \"postgres\", got \(other.map { "\"\($0)\"" } ?? "nothing")")
        }
    }
}

extension ConfigurationLoader.Reader {
    /// A postgres channel: `dsn` and `statement` (named event fields, bound as parameters).
    func postgresKind(_ c: JSONObject) throws(ConfigurationError) -> ChannelSettings.Kind {
        guard c["url"] == nil, c["secret"] == nil, c["argv"] == nil else {
            throw fail("url", "url, secret and argv belong to webhook and command channels, not a postgres one")
        }
        guard let text = try string(c["dsn"], "dsn") else { throw fail("dsn", "is required for a postgres channel: postgres://user:password@host:port/database") }
        guard let sql = try string(c["statement"], "statement") else {
            throw fail("statement", "is required for a postgres channel, e.g. UPDATE pipeline_task SET status = $status WHERE execution_id = $execution_id")
        }
        let dsn: PostgresDSN
        do { dsn = try PostgresDSN(parsing: text) } catch { throw fail("dsn", error.description) }
        do { return .postgres(dsn: dsn, statement: try PostgresStatement(parsing: sql)) } catch { throw fail("statement", error.description) }
    }
}

extension ChannelSettings.Kind {
    var isWebhook: Bool {
        if case .webhook = self { return true }
        return false
    }
}
