import Coordinator
import Logging
import Metrics
import HTTPTypes
import Hummingbird
import NIOCore
import CoordinatorCore
import VigilJSON

/// `POST /api/v1/monitoring/heartbeat` and `/completion`: the seed 003/004 contract.
enum MonitoringRoutes {
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        routes.add("/api/v1/monitoring/heartbeat", .post)
        router.post("/api/v1/monitoring/heartbeat") { request, _ -> Response in
            let body = try await JSONBody.object(request, maxBytes: ctx.maxBodyBytes)
            let heartbeat = try ctx.validation.heartbeat(body)
            let now = ctx.nowMs()
            try settle(await durably { () async throws(StoreUnavailable) in try await ctx.node.receive(heartbeat, nowMs: now) }, ctx: ctx)
            ctx.metrics.heartbeatsAccepted.increment()
            return ok(executionID: heartbeat.executionID, nowMs: now, extra: nil)
        }

        routes.add("/api/v1/monitoring/completion", .post)
        router.post("/api/v1/monitoring/completion") { request, _ -> Response in
            let body = try await JSONBody.object(request, maxBytes: ctx.maxBodyBytes)
            let completion = try ctx.validation.completion(body)
            let now = ctx.nowMs()
            switch try await durably({ () async throws(StoreUnavailable) in try await ctx.node.receive(completion, nowMs: now) }) {
            case .success(let outcome):
                ctx.metrics.completionsAccepted.increment()
                ctx.logger.info(
                    "Execution finished",
                    metadata: [
                        "execution.id": "\(completion.executionID)", "execution.status": "\(completion.outcome)",
                        "execution.repeat": "\(outcome == .unchanged)",
                    ]
                )
                return ok(
                    executionID: completion.executionID, nowMs: now,
                    extra: "\"execution_status\":\"\(completion.outcome)\",\"duplicate\":\(outcome == .unchanged)"
                )
            case .failure(let conflict):
                ctx.metrics.conflicts.increment()
                throw APIError.conflict(conflict)
            }
        }
    }

    /// The fast path's work: validates a heartbeat body and applies it if it only refreshes a
    /// known running execution. `nil` means "needs the durable path": hand the request to the
    /// Hummingbird route.
    static func refreshHeartbeat(_ body: JSONObject, ctx: IngestContext) throws(APIError) -> (ExecutionID, Int64)? {
        let heartbeat = try ctx.validation.heartbeat(body)
        let now = ctx.nowMs()
        guard let result = ctx.node.refresh(heartbeat, nowMs: now) else { return nil }
        try settle(result, ctx: ctx)
        ctx.metrics.heartbeatsAccepted.increment()
        return (heartbeat.executionID, now)
    }

    /// Maps a conflict to 409.
    static func settle<T>(_ result: Result<T, ExecutionConflict>, ctx: IngestContext) throws(APIError) {
        if case .failure(let conflict) = result {
            ctx.metrics.conflicts.increment()
            throw APIError.conflict(conflict)
        }
    }

    /// Runs a durable operation, mapping a store failure to 503 with `Retry-After: 1` (another
    /// node, or this one in a moment, can take it; a load balancer retries elsewhere).
    static func durably<T>(_ operation: () async throws(StoreUnavailable) -> T) async throws(APIError) -> T {
        do {
            return try await operation()
        } catch {
            throw APIError(.serviceUnavailable, error.description, headers: [.retryAfter: "1"])
        }
    }

    /// The success body as text.
    static func okText(executionID: ExecutionID, nowMs: Int64, extra: String?) -> String {
        var text = "{\"status\":\"ok\",\"timestamp\":\(nowMs / 1000),\"execution_id\":\"\(executionID)\""
        if let extra { text += "," + extra }
        return text + "}"
    }

    /// `{"status":"ok","timestamp":<server s>,"execution_id":"…"}` plus optional extra members.
    static func ok(executionID: ExecutionID, nowMs: Int64, extra: String?, status: HTTPResponse.Status = .ok) -> Response {
        let text = okText(executionID: executionID, nowMs: nowMs, extra: extra)
        return Response(status: status, headers: jsonHeaders, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
