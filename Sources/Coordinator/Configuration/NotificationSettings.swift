import CoordinatorCore
import VigilJSON

/// The `notifications` section of the cluster file: the channels and how deliveries are paced.
public struct NotificationSettings: Sendable, Equatable {
    public var channels: [ChannelSettings] = []
    /// Retries of one delivery stop this long after its event (then: undeliverable). Default 24 h.
    public var horizonS: Double = 86_400
    /// First retry after this; each further one doubles (with jitter) up to ``maxRetryS``.
    public var firstRetryS: Double = 1
    public var maxRetryS: Double = 300
    /// Attempts in flight at once, per channel.
    public var maxInFlight = 64
    /// The leader reports a node dead (`node.dead`) once it has been out of the membership this long.
    public var nodeDeadAfterS: Double = 10
    /// While a node stays dead or the monitor degraded, a reminder this often; 0: none (the default).
    public var repeatIntervalS: Double = 0

    public init(channels: [ChannelSettings] = []) {
        self.channels = channels
    }

    /// The pacing and channel rules the core needs.
    public var outbox: Outbox.Settings {
        var settings = Outbox.Settings(channels: channels.map(\.rule))
        settings.horizonMs = Int64(horizonS * 1000)
        settings.firstRetryMs = max(1, Int64(firstRetryS * 1000))
        settings.maxRetryMs = max(settings.firstRetryMs, Int64(maxRetryS * 1000))
        settings.maxInFlight = maxInFlight
        settings.repeatIntervalMs = repeatIntervalS > 0 ? Int64(repeatIntervalS * 1000) : nil
        return settings
    }

    /// The channel named `name`.
    public func channel(_ name: String) -> ChannelSettings? { channels.first { $0.name == name } }
}

/// One place events go.
public struct ChannelSettings: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// POST of a signed JSON body (Standard Webhooks).
        case webhook(url: String, secret: String)
        /// A program run with the event as JSON on stdin; exit status 0 is delivery.
        case command(argv: [String])
    }

    /// The body a webhook channel sends.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// Vigil's event object.
        case json
        /// `{"text": …}`, which Slack, Mattermost and Rocket.Chat incoming webhooks take.
        case slack
        /// One line of plain text.
        case text
    }

    public var name: String
    public var kind: Kind
    public var events: [EventPattern]
    public var containerPrefix: String?
    /// A webhook's request, or a command's run, fails after this long. Default 10 s.
    public var timeoutS: Double = 10
    public var format: Format = .json
    /// Events of one kind due within this window go out as one message (0: each alone).
    public var groupWindowS: Double = 0
    /// The most events in one grouped message.
    public var groupMax = 500

    public init(name: String, kind: Kind, events: [EventPattern], containerPrefix: String? = nil) {
        self.name = name
        self.kind = kind
        self.events = events
        self.containerPrefix = containerPrefix
    }

    public var rule: ChannelRule {
        ChannelRule(name: name, events: events, containerPrefix: containerPrefix, groupWindowMs: Int64(groupWindowS * 1000), groupMax: groupMax)
    }
}

extension ConfigurationLoader.Reader {
    mutating func notifications(_ o: JSONObject) throws(ConfigurationError) -> NotificationSettings {
        try checkKeys(o, allowed: ["channels", "horizon_s", "first_retry_s", "max_retry_s", "max_in_flight", "node_dead_after_s", "repeat_interval_s"])
        var settings = NotificationSettings()
        if let v = try number(o["horizon_s"], "horizon_s") { settings.horizonS = v }
        if let v = try number(o["first_retry_s"], "first_retry_s") { settings.firstRetryS = v }
        if let v = try number(o["max_retry_s"], "max_retry_s") { settings.maxRetryS = v }
        if let v = try integer(o["max_in_flight"], "max_in_flight", in: 1...4096) { settings.maxInFlight = v }
        if let v = try number(o["node_dead_after_s"], "node_dead_after_s") { settings.nodeDeadAfterS = v }
        if let v = try number(o["repeat_interval_s"], "repeat_interval_s", allowZero: true) { settings.repeatIntervalS = v }
        guard settings.maxRetryS >= settings.firstRetryS else { throw fail("max_retry_s", "must not be below first_retry_s") }
        guard let value = o["channels"] else { return settings }
        guard case .array(let list) = value else { throw fail("channels", "must be an array of channel objects") }
        for (i, entry) in list.enumerated() {
            let r = ConfigurationLoader.Reader(path: key("channels[\(i)]"))
            guard case .object(let c) = entry else { throw fail("channels[\(i)]", "must be an object") }
            let channel = try r.channel(c)
            guard settings.channel(channel.name) == nil else { throw r.fail("name", "\"\(channel.name)\" names two channels") }
            settings.channels.append(channel)
        }
        return settings
    }

    func channel(_ c: JSONObject) throws(ConfigurationError) -> ChannelSettings {
        try checkKeys(c, allowed: ["name", "type", "url", "secret", "argv", "events", "container_prefix", "timeout_s", "format", "group_window_s", "group_max"])
        guard let name = try string(c["name"], "name") else { throw fail("name", "is required") }
        guard name.utf8.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw fail("name", "must be 1-64 ASCII letters, digits, '-', '_' or '.', got \"\(name)\"")
        }
        let kind: ChannelSettings.Kind
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
            kind = .webhook(url: url, secret: secret)
        case "command":
            guard case .array(let parts)? = c["argv"], !parts.isEmpty else { throw fail("argv", "is required for a command channel: a non-empty array of strings") }
            var argv: [String] = []
            for (i, part) in parts.enumerated() {
                guard case .string(let s) = part, !s.isEmpty else { throw fail("argv[\(i)]", "must be a non-empty string") }
                argv.append(s)
            }
            guard c["url"] == nil, c["secret"] == nil else { throw fail("url", "url and secret belong to a webhook channel, not a command") }
            kind = .command(argv: argv)
        case let other:
            throw fail("type", "must be \"webhook\" or \"command\", got \(other.map { "\"\($0)\"" } ?? "nothing")")
        }
        guard case .array(let list)? = c["events"], !list.isEmpty else {
            throw fail("events", "is required: event names or patterns, e.g. [\"execution.failed\", \"node.*\"] or [\"*\"]")
        }
        var events: [EventPattern] = []
        for (i, item) in list.enumerated() {
            guard case .string(let text) = item, let pattern = EventPattern(text) else {
                throw fail("events[\(i)]", "must name events: one of \(EventKind.allCases.map(\.rawValue).joined(separator: ", ")), a family such as \"execution.*\", or \"*\"")
            }
            events.append(pattern)
        }
        var channel = ChannelSettings(name: name, kind: kind, events: events, containerPrefix: try string(c["container_prefix"], "container_prefix"))
        if let v = try number(c["timeout_s"], "timeout_s") { channel.timeoutS = v }
        if let v = try number(c["group_window_s"], "group_window_s", allowZero: true) { channel.groupWindowS = v }
        if let v = try integer(c["group_max"], "group_max", in: 2...10_000) { channel.groupMax = v }
        if let f = try string(c["format"], "format") {
            guard let format = ChannelSettings.Format(rawValue: f) else {
                throw fail("format", "must be one of \(ChannelSettings.Format.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(f)\"")
            }
            guard case .webhook = kind else { throw fail("format", "applies to webhook channels (a command always gets the JSON event)") }
            channel.format = format
        }
        return channel
    }
}
