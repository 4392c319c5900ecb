import CoordinatorCore

/// The `notifications` section of the cluster file: the channels and how deliveries are paced.
public struct NotificationSettings: Sendable, Equatable {
    public var channels: [ChannelSettings] = []
    /// Retries of one delivery stop this long after its event (then: undeliverable). Default 24 h.
    public var horizon: Duration = .seconds(86_400)
    /// First retry after this; each further one doubles (with jitter) up to ``maxRetry``.
    public var firstRetry: Duration = .seconds(1)
    /// The longest wait between two retries. Default 300 s.
    public var maxRetry: Duration = .seconds(300)
    /// Attempts in flight at once, per channel.
    public var maxInFlight = 64
    /// The leader reports a node dead (`node.dead`) once it has been out of the membership this long.
    public var nodeDeadAfter: Duration = .seconds(10)
    /// While a node stays dead or the monitor degraded, a reminder this often; zero: none (the default).
    public var repeatInterval: Duration = .zero

    public init(channels: [ChannelSettings] = []) {
        self.channels = channels
    }

    /// The pacing and channel rules the core needs.
    public var outbox: Outbox.Settings {
        var settings = Outbox.Settings(channels: channels.map(\.rule))
        settings.horizonMs = horizon.wholeMilliseconds
        settings.firstRetryMs = max(1, firstRetry.wholeMilliseconds)
        settings.maxRetryMs = max(settings.firstRetryMs, maxRetry.wholeMilliseconds)
        settings.maxInFlight = maxInFlight
        settings.repeatIntervalMs = repeatInterval > .zero ? repeatInterval.wholeMilliseconds : nil
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
        /// A SQL statement run against PostgreSQL with the event's fields bound as parameters
        /// (once per event; a grouped message's events in one transaction); success is delivery.
        case postgres(dsn: PostgresDSN, statement: PostgresStatement)
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
    /// Only events of executions of these kinds (`kinds`); empty: all.
    public var kinds: [String] = []
    /// A webhook's request, or a command's run, fails after this long. Default 10 s.
    public var timeout: Duration = .seconds(10)
    public var format: Format = .json
    /// Events of one kind due within this window go out as one message (zero: each alone).
    public var groupWindow: Duration = .zero
    /// The most events in one grouped message.
    public var groupMax = 500

    public init(name: String, kind: Kind, events: [EventPattern], containerPrefix: String? = nil) {
        self.name = name
        self.kind = kind
        self.events = events
        self.containerPrefix = containerPrefix
    }

    public var rule: ChannelRule {
        var rule = ChannelRule(name: name, events: events, containerPrefix: containerPrefix, groupWindowMs: groupWindow.wholeMilliseconds, groupMax: groupMax)
        rule.kinds = kinds
        return rule
    }
}
