import Coordinator
import CoordinatorCore
import Hummingbird
import HTTPTypes
import VigilJSON

/// `GET /api/v1/notifications?state=pending|delivered|undeliverable|all&limit=` (this node's
/// view of the outbox) and `POST /admin/notifications/test` (`{"channel": NAME}`: one test
/// delivery now, answered with its result).
enum NotificationRoutes {
    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        routes.add("/api/v1/notifications", .get)
        router.get("/api/v1/notifications") { request, _ -> Response in
            ExecutionRoutes.json(try list(request, ctx: ctx))
        }
        routes.add("/admin/notifications/test", .post)
        router.post("/admin/notifications/test") { request, _ -> Response in
            let body = try await JSONBody.object(request, maxBytes: ctx.maxBodyBytes)
            guard case .string(let channel)? = body["channel"], !channel.isEmpty else {
                throw APIError.badRequest("channel is required: the name of a configured notification channel")
            }
            guard let (key, result) = await ctx.node.sendTest(channel: channel) else {
                let names = ctx.node.configuration.notifications.channels.map(\.name)
                throw APIError(.notFound, "No notification channel named \(channel) (configured: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
            }
            var o: JSONObject = ["channel": .string(channel), "key": .string(key)]
            switch result {
            case .delivered:
                o.members.append(.init(key: "delivered", value: .bool(true)))
            case .failed(let error):
                o.members.append(.init(key: "delivered", value: .bool(false)))
                o.members.append(.init(key: "error", value: .string(error)))
            }
            return ExecutionRoutes.json(.object(o))
        }
    }

    private static func entry(
        _ event: NotificationEvent, channel: String, state: String, attempts: Int, lastError: String?, time: TimestampFormatter, extra: [String: JSONValue]
    ) -> JSONValue {
        var o: JSONObject = [
            "key": .string(event.key), "event": .string(event.kind.rawValue), "channel": .string(channel), "state": .string(state),
            "attempts": .int(Int64(attempts)), "last_error": lastError.map { .string($0) } ?? .null,
            "occurred_at": .string(time.iso8601(unixMs: event.occurredAtMs)),
            "execution_id": event.executionID.map { .string($0.description) } ?? .null,
            "subject_node": event.subjectNode.map { .string($0) } ?? .null,
            "node": .string(event.writer), "term": .int(Int64(event.term)),
        ]
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) { o.members.append(.init(key: key, value: value)) }
        return .object(o)
    }

    /// `GET /api/v1/notifications`: the outbox as this node sees it, by state, newest settled first.
    static func list(_ request: Request, ctx: IngestContext) throws(APIError) -> JSONValue {
        let state = request.uri.queryParameters["state"].map(String.init) ?? "all"
        guard ["pending", "delivered", "undeliverable", "all"].contains(state) else {
            throw APIError.badRequest("state must be pending, delivered, undeliverable or all")
        }
        var limit = 100
        if let text = request.uri.queryParameters["limit"] {
            guard let n = Int(text), (1...10_000).contains(n) else { throw APIError.badRequest("limit must be an integer from 1 to 10000") }
            limit = n
        }
        let view = ctx.node.notifications
        let time = ctx.node.timestamps
        var items: [JSONValue] = []
        if state == "pending" || state == "all" {
            for item in view.pending.prefix(limit) {
                items.append(entry(item.event, channel: item.channel, state: "pending", attempts: item.attempts, lastError: item.lastError, time: time, extra: [
                    "in_flight": .bool(item.inFlight != nil),
                ]))
            }
        }
        if state != "pending" {
            for done in view.finished.reversed() where state == "all" || (state == "delivered") == (done.ack.outcome == .delivered) {
                guard items.count < limit else { break }
                items.append(entry(
                    done.event, channel: done.ack.channel, state: done.ack.outcome == .delivered ? "delivered" : "undeliverable",
                    attempts: done.ack.attempts, lastError: done.ack.lastError, time: time, extra: ["settled_at": .string(time.iso8601(unixMs: done.atMs))]
                ))
            }
        }
        return .object([
            "node": .string(ctx.node.id),
            "delivering": .bool(view.delivering),
            "channels": .array(view.channels.map { .string($0) }),
            "pending": .int(Int64(view.pending.count)),
            "in_flight": .int(Int64(view.inFlight)),
            "notifications": .array(Array(items.prefix(limit))),
        ])
    }

}
