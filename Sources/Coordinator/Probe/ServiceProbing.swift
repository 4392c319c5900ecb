import CoordinatorCore

/// Probes a service and runs its repair. Production uses `HTTPServiceProber` (module
/// Outbound); tests inject their own.
public protocol ServiceProbing: Sendable {
    /// One probe within the service's timeout (a hung service is a failure, never a hang).
    func probe(_ service: ServiceSettings) async -> ProbeResult
    /// Runs the service's repair (command and/or webhook) within its time limit.
    func repair(_ service: ServiceSettings, number: UInt64) async -> (succeeded: Bool, detail: String)
    /// Releases the prober's clients; called once by the ``NodeDriver`` after its last probe.
    func shutdown() async
}

extension ServiceProbing {
    public func shutdown() async {}
}
