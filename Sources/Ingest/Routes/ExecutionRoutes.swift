import Coordinator
import Logging
import Metrics
import HTTPTypes
import Hummingbird
import NIOCore
import CoordinatorCore
import VigilJSON

/// `POST /api/v1/executions` (register before the first heartbeat), `GET /api/v1/executions`
/// (filter and page) and `GET /api/v1/executions/{id}`.
enum ExecutionRoutes {
    static let defaultLimit = 100
    static let maxLimit = 1_000

    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        routes.add("/api/v1/executions", .post)
        router.post("/api/v1/executions") { request, _ -> Response in
            let body = try await JSONBody.object(request, maxBytes: ctx.maxBodyBytes)
            let registration = try ctx.validation.registration(body)
            let now = ctx.nowMs()
            switch try await MonitoringRoutes.durably({ () async throws(StoreUnavailable) in try await ctx.node.receive(registration, nowMs: now) }) {
            case .success(let outcome):
                ctx.metrics.registrations.increment()
                return MonitoringRoutes.ok(
                    executionID: registration.executionID, nowMs: now,
                    extra: "\"registered\":\(outcome == .recorded)",
                    status: outcome == .recorded ? .created : .ok
                )
            case .failure(let conflict):
                ctx.metrics.conflicts.increment()
                throw APIError.conflict(conflict)
            }
        }

        routes.add("/api/v1/executions", .get)
        router.get("/api/v1/executions") { request, _ -> Response in
            json(try list(request, ctx: ctx))
        }

        routes.add("/api/v1/executions/{}", .get)
        router.get("/api/v1/executions/{id}") { _, context -> Response in
            guard let text = context.parameters.get("id"), let id = ExecutionID(text) else { throw APIError.invalidExecutionID }
            guard let record = ctx.node.executions.record(id) else {
                throw APIError(.notFound, "Execution \(id) is not known to this node")
            }
            return json(ctx.rendering.json(record, judgeNow: ctx.node.now().judge, rules: ctx.node.executions.rules))
        }
    }

    /// `GET /api/v1/executions`: a page of executions, by status, after a cursor.
    static func list(_ request: Request, ctx: IngestContext) throws(APIError) -> JSONValue {
        let query = request.uri.queryParameters
        var status: ExecutionStatus?
        var stalledOnly = false
        if let text = query["status"] {
            if text == "stalled" {
                status = .running
                stalledOnly = true
            } else {
                guard let parsed = ExecutionStatus(apiName: String(text)) else {
                    throw APIError.badRequest("status must be one of running, completed, failed, stalled")
                }
                status = parsed
            }
        }
        let kind = query["kind"].map(String.init)
        if let kind, kind.unicodeScalars.count > 64 { throw APIError.badRequest("kind must be at most 64 characters") }
        var limit = defaultLimit
        if let text = query["limit"] {
            guard let n = Int(text), (1...maxLimit).contains(n) else {
                throw APIError.badRequest("limit must be an integer from 1 to \(maxLimit)")
            }
            limit = n
        }
        var after: ExecutionID?
        if let text = query["after"] {
            guard let id = ExecutionID(String(text)) else { throw APIError.badRequest("after must be an execution_id (UUID)") }
            after = id
        }
        let judgeNow = ctx.node.now().judge
        let rules = ctx.node.executions.rules
        let predicate = RuleFilter(rules: rules, kind: kind, stalledOnly: stalledOnly, now: judgeNow).predicate
        let page = ctx.node.executions.page(status: status, after: after, limit: limit, where: predicate)
        let body: JSONValue = .object([
            "executions": .array(page.records.map { ctx.rendering.json($0, judgeNow: judgeNow, rules: rules) }),
            "count": .int(Int64(page.records.count)),
            "next_after": page.next.map { .string($0.description) } ?? .null,
        ])
        return body
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: MonitoringRoutes.jsonHeaders, body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.encode(value))))
    }
}
