import Coordinator
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import CoordinatorCore
import VigilJSON

/// `GET /api/v1/marks?limit=`: failure marks (executions the sweep declared lost), newest first,
/// each with its reason.
enum MarksRoutes {
    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        routes.add("/api/v1/marks", .get)
        router.get("/api/v1/marks") { request, _ -> Response in
            var limit = 100
            if let text = request.uri.queryParameters["limit"] {
                guard let n = Int(text), (1...10_000).contains(n) else { throw APIError.badRequest("limit must be an integer from 1 to 10000") }
                limit = n
            }
            let marks = ctx.node.executions.failureMarks(limit: limit)
            return ExecutionRoutes.json(.object([
                "marks": .array(marks.map { record in
                    .object([
                        "execution_id": .string(record.id.description),
                        "marked_at": (record.terminal?.finishedAtMs).map { .string(ctx.node.timestamps.iso8601(unixMs: $0)) } ?? .null,
                        "marked_at_ms": (record.terminal?.finishedAtMs).map { .int($0) } ?? .null,
                        "container_id": record.containerID.isEmpty ? .null : .string(record.containerID),
                        "reason": (record.terminal?.reason).map { .string($0) } ?? .null,
                    ])
                }),
                "count": .int(Int64(marks.count)),
            ]))
        }
    }
}
