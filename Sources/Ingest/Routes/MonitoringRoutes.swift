import Coordinator
import Logging
import Metrics
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/v1/monitoring/heartbeat` and `/completion`: the seed 003/004 contract.
enum MonitoringRoutes {
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    static func add(to router: Router<BasicRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        routes.add("/api/v1/monitoring/heartbeat", .post)
        router.post("/api/v1/monitoring/heartbeat") { request, _ -> Response in
            let body = try await JSONBody.object(request, maxBytes: ctx.maxBodyBytes)
            let (id, now) = try acceptHeartbeat(body, ctx: ctx)
            return ok(executionID: id, nowMs: now, extra: nil)
        }

        routes.add("/api/v1/monitoring/completion", .post)
        router.post("/api/v1/monitoring/completion") { request, _ -> Response in
            let body = try await JSONBody.object(request, maxBytes: ctx.maxBodyBytes)
            let completion = try ctx.validation.completion(body)
            let now = ctx.nowMs()
            switch ctx.node.executions.apply(completion, nowMs: now) {
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

    /// Validates and applies one heartbeat body: the whole heartbeat route, shared by the
    /// Hummingbird route and the event-loop fast path (``HeartbeatFastPath``).
    static func acceptHeartbeat(_ body: JSONObject, ctx: IngestContext) throws(APIError) -> (ExecutionID, Int64) {
        let heartbeat = try ctx.validation.heartbeat(body)
        let now = ctx.nowMs()
        switch ctx.node.executions.apply(heartbeat, nowMs: now) {
        case .success:
            ctx.metrics.heartbeatsAccepted.increment()
            return (heartbeat.executionID, now)
        case .failure(let conflict):
            ctx.metrics.conflicts.increment()
            throw APIError.conflict(conflict)
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
