import Logging
import Metrics
import Synchronization

/// The node's current ``AccessPolicy`` (replaced whole on SIGHUP) and the refused-request log.
/// Shared by the Hummingbird gate and the heartbeat fast path.
public final class AccessControl: Sendable {
    private let state: Mutex<(policy: AccessPolicy, complaints: ComplaintLimiter)>
    private let logger: Logger
    private let refused: [AccessClass: Counter]

    public init(policy: AccessPolicy, logger: Logger, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        state = Mutex((policy, ComplaintLimiter()))
        self.logger = logger
        refused = Dictionary(uniqueKeysWithValues: AccessClass.allCases.map { access in
            (access, Counter(label: "vigil_http_unauthorized_total", dimensions: [("class", access.rawValue)], factory: metricsFactory))
        })
    }

    /// The policy in force.
    public var policy: AccessPolicy { state.withLock { $0.policy } }

    /// Puts a new policy in force (tokens reloaded); requests already admitted are not affected.
    public func replace(_ policy: AccessPolicy) {
        state.withLock { $0.policy = policy }
    }

    /// Counts a refusal and logs it, at most once per client address per minute. The token is
    /// never logged: only the path (without a token prefix, cut at 200 characters: it is the
    /// client's), the class and why.
    func noteRefusal(_ decision: AccessPolicy.Decision, method: String, path: Substring, client: String, nowMs: Int64) {
        let (access, why): (AccessClass, String)
        switch decision {
        case .allow: return
        case .missing(let c): (access, why) = (c, "no token")
        case .wrong(let c): (access, why) = (c, "wrong token")
        }
        refused[access]?.increment()
        let (log, suppressed) = state.withLock { $0.complaints.shouldLog(client, nowMs: nowMs) }
        guard log else { return }
        logger.warning(
            "Refused an unauthorized request",
            metadata: [
                "client": "\(client)", "http.method": "\(method.prefix(16))", "http.path": "\(path.prefix(200))", "access.class": "\(access)",
                "access.reason": "\(why)", "access.refused_since_last_line": "\(suppressed)",
            ]
        )
    }
}
