import CoordinatorCore

extension NodeCore {
    /// The core of node `id` as the configuration describes it: the sweep rule, retention,
    /// notification outbox, probed services and the configured gossip keys.
    public static func make(id: String, configuration: VigilConfiguration, timestamps: TimestampFormatter, started: WallTime, gossipValueBytes: Int?) -> NodeCore {
        var settings = NodeCore.Settings(
            me: id, configured: configuration.nodes.map(\.id), rule: SweepRule(configuration.executions), timestamps: timestamps,
            started: started, gossipValueBytes: gossipValueBytes, retentionMs: configuration.executions.retention.wholeMilliseconds
        )
        settings.notifications = configuration.notifications.outbox
        settings.nodeDeadAfterMs = configuration.notifications.nodeDeadAfter.wholeMilliseconds
        settings.services = configuration.probes.effectiveServices(nodes: configuration.nodes).map(\.rule)
        settings.probeAutoStart = configuration.probes.autoStart
        settings.stallLimitMs = configuration.store.stallLimit.wholeMilliseconds
        settings.requestDeadlineMs = min(1_500, settings.stallLimitMs)
        settings.storeRecoveryMs = 2 * settings.stallLimitMs
        var core = NodeCore(settings: settings)
        core.configureKeyring(configuration.gossip.keys)
        return core
    }
}

extension VigilConfiguration {
    /// The display time zone's formatter; the one place the zone is checked.
    /// - Throws: ``ConfigurationError`` naming `timezone` when the zone is unknown.
    public func timestamps() throws(ConfigurationError) -> TimestampFormatter {
        guard let timestamps = TimestampFormatter(timeZoneIdentifier: timezone) else {
            throw ConfigurationError(key: "timezone", problem: "unknown time zone \"\(timezone)\" (use an IANA name such as Asia/Shanghai or UTC)")
        }
        return timestamps
    }
}
