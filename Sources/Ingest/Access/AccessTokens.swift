import Coordinator

/// The HTTP tokens a node accepts; `nil` (or an empty ingest list) leaves that class open.
///
/// The admin token is accepted everywhere (it may do anything a read or ingest token may).
public struct AccessTokens: Sendable, Equatable {
    public var admin: String?
    public var read: String?
    public var ingest: [String]
    /// Whether `/health*` needs the read token.
    public var protectHealth: Bool
    /// Whether `/metrics` needs the read token.
    public var protectMetrics: Bool

    public init(admin: String? = nil, read: String? = nil, ingest: [String] = [], protectHealth: Bool = false, protectMetrics: Bool = false) {
        self.admin = admin
        self.read = read
        self.ingest = ingest
        self.protectHealth = protectHealth
        self.protectMetrics = protectMetrics
    }

    /// The tokens an ``HTTPSettings`` names.
    public init(_ settings: HTTPSettings) {
        self.init(
            admin: settings.adminToken, read: settings.readToken, ingest: settings.ingestTokens,
            protectHealth: settings.protectHealth, protectMetrics: settings.protectMetrics
        )
    }
}
