extension ConfigurationLoader {
    /// Applies the seeds' environment variables on top of `configuration`: every key of
    /// ``ConfigKeys/file`` that names one (`HEARTBEAT_TIMEOUT`, `SWEEP_CHECK_INTERVAL`,
    /// `HEARTBEAT_MAX_STRIKES`, `VIGIL_RETENTION`, `TIMEZONE`, `VIGIL_STORE_PATH`,
    /// `VIGIL_MAX_BODY_BYTES`, `VIGIL_GOSSIP_KEY`, the HTTP tokens `VIGIL_ADMIN_TOKEN`,
    /// `VIGIL_READ_TOKEN`, `VIGIL_INGEST_TOKENS` (comma-separated), and seed 002's
    /// `HEARTBEAT_ENABLED`, `HEARTBEAT_AUTO_START`, `HEARTBEAT_CHECK_INTERVAL` (the probe
    /// interval), `HEARTBEAT_MAX_RETRIES`, `HEARTBEAT_RESTART_COOLDOWN`).
    ///
    /// The prober's timings are every service's defaults: they also set each service that did
    /// not set that key itself in the file (``ServiceSettings/explicitTiming``); an explicit value
    /// in the file is never overridden by an environment default.
    public static func applyEnvironment(_ environment: [String: String], to configuration: VigilConfiguration) throws(ConfigurationError) -> VigilConfiguration {
        var c = configuration
        for key in ConfigKeys.file {
            guard let name = key.environment, let text = environment[name], let read = key.readText else { continue }
            try read(&c, text, name)
        }
        for key in ConfigKeys.timing {
            guard let name = key.environment, let text = environment[name], let read = key.readText else { continue }
            for i in c.probes.services.indices where !c.probes.services[i].explicitTiming.contains(key.path) {
                try read(&c.probes.services[i].timing, text, name)
            }
        }
        return c
    }
}
