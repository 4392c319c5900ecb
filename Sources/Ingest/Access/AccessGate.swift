import HTTPTypes
import Hummingbird
import NIOCore

/// The first thing every request meets, ahead of the router: takes a `/k/<token>` prefix off the
/// path, decides with the node's ``AccessPolicy``, and either answers `401` (house error shape,
/// `WWW-Authenticate`) or hands the request, prefix removed, to the router.
///
/// A responder rather than router middleware because Hummingbird routes before it runs
/// middleware, and a prefixed path must be rewritten before routing.
public struct AccessGate<Next: HTTPResponder>: HTTPResponder where Next.Context == IngestRequestContext {
    public typealias Context = IngestRequestContext

    let next: Next
    let access: AccessControl
    let nowMs: @Sendable () -> Int64

    public func respond(to request: Request, context: Context) async throws -> Response {
        var request = request
        let target = AccessPolicy.target(Substring(request.uri.path))
        if target.pathToken != nil {
            // The router sees the path without the token; the query string is kept.
            let query = request.uri.query.map { "?" + $0 } ?? ""
            var head = request.head
            head.path = String(target.path) + query
            request = Request(head: head, body: request.body)
        }
        let policy = access.policy
        let accessClass = policy.classify(method: request.method, path: target.path)
        let token = target.pathToken ?? AccessPolicy.bearer(request.headers[.authorization].map { Substring($0) })
        let decision = policy.decide(accessClass, token: token)
        guard decision == .allow else {
            let client = context.remoteAddress?.ipAddress ?? "unknown"
            access.noteRefusal(decision, method: request.method.rawValue, path: target.path, client: client, nowMs: nowMs())
            return try Self.refusal(decision).response(from: request, context: context)
        }
        return try await next.respond(to: request, context: context)
    }

    /// `401` naming what is needed, never echoing the token.
    static func refusal(_ decision: AccessPolicy.Decision) -> APIError {
        switch decision {
        case .allow:
            return APIError(.internalServerError, "refusal asked for an allowed request")
        case .missing(let access):
            return APIError(
                .unauthorized, "This request needs the \(access) token (\(access.settingName)): send Authorization: Bearer <token>",
                headers: [.wwwAuthenticate: "Bearer realm=\"vigil\", scope=\"\(access)\""]
            )
        case .wrong(let access):
            return APIError(
                .unauthorized, "The token is not valid for this request; it needs the \(access) token (\(access.settingName))",
                headers: [.wwwAuthenticate: "Bearer realm=\"vigil\", scope=\"\(access)\", error=\"invalid_token\""]
            )
        }
    }
}
