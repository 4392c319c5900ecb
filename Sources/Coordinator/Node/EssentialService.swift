import ServiceLifecycle

/// Runs a service the node cannot do without: if it ends before the node shuts down, that is a
/// failure with a name (``EssentialServiceStopped``), never a silent end of the node.
public struct EssentialService: Service {
    let name: String
    let service: any Service

    public init(_ name: String, _ service: any Service) {
        self.name = name
        self.service = service
    }

    public func run() async throws {
        do {
            try await service.run()
        } catch is CancellationError {
            return
        } catch {
            throw EssentialServiceStopped(service: name, reason: "\(error)")
        }
        if !Task.isShuttingDownGracefully && !Task.isCancelled {
            throw EssentialServiceStopped(service: name, reason: "it ended on its own")
        }
    }
}

/// A service the node needs stopped before shutdown; the node exits non-zero saying which and why.
public struct EssentialServiceStopped: Error, CustomStringConvertible {
    public var service: String
    public var reason: String
    public var description: String { "the \(service) stopped: \(reason)" }
}
