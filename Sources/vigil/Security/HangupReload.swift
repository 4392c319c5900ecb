import Logging
import ServiceLifecycle
import UnixSignals

/// On SIGHUP, runs `reload` (tokens and the TLS certificate, read again from the configuration
/// and its files). Open connections are not touched; requests and connections that come after
/// see the new tokens and certificate.
struct HangupReload: Service {
    let logger: Logger
    let reload: @Sendable () -> Void

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading tokens and certificate")
            reload()
        }
    }
}
