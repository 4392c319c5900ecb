import HTTPTypes

/// Which token a request needs. Every route belongs to exactly one class
/// (``AccessPolicy/classify(method:path:)``).
public enum AccessClass: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Needs no token: `/health*`, `/metrics` and `/openapi.json` (unless configured otherwise).
    case open
    /// A container's own calls: heartbeats and completion notices (`http.ingest_tokens`).
    case ingest
    /// The read API and the dashboard (`http.read_token`).
    case read
    /// Everything that changes state and is not a container's own: `/admin/*`, registration by
    /// an operator, and any other method than GET or HEAD (`http.admin_token`).
    case admin

    public var description: String { rawValue }

    /// The configuration key that sets this class's token.
    public var settingName: String {
        switch self {
        case .open: "none"
        case .ingest: "http.ingest_tokens"
        case .read: "http.read_token"
        case .admin: "http.admin_token"
        }
    }
}
