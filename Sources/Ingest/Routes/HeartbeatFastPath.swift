import Coordinator
import HTTPTypes
import Metrics
import NIOCore
import NIOHTTP1
import CoordinatorCore
import VigilJSON

/// Answers `POST /api/v1/monitoring/heartbeat` on the connection's event loop, without leaving
/// the channel pipeline: the "lean route" for the one hot path.
///
/// Hummingbird hands every request to an async task and streams its body through an async
/// sequence; on one core that costs several times what parsing and applying a heartbeat does
/// (`scripts/bench-ingest`). This handler sits right after NIO's HTTP/1 codec, before the
/// conversion to HTTP types and Hummingbird (see ``IngestHTTP1Channel``), collects
/// an eligible heartbeat's body, validates it with the same code as the Hummingbird route, and
/// answers it here when it only refreshes a known running execution
/// (``MonitoringRoutes/refreshHeartbeat(_:ctx:)``). A heartbeat that registers an execution or
/// reports a terminal status must be made durable first, so it is handed on to the route.
///
/// Anything unusual is passed through untouched and Hummingbird answers it: other routes, a
/// body without `Content-Length` or over the limit, a wrong content type, `Expect:
/// 100-continue`, `Connection: close`, a request without the ingest token when one is needed,
/// and any request that arrives while a passed-through
/// request is still unanswered (so responses on a pipelined connection stay in order).
final class HeartbeatFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    static let path = "/api/v1/monitoring/heartbeat"

    private let ctx: IngestContext
    /// Requests handed to Hummingbird whose response has not finished yet.
    private var passedThroughInFlight = 0
    /// The heartbeat being collected, if the current request is ours.
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?

    init(ctx: IngestContext) {
        self.ctx = ctx
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if passedThroughInFlight == 0, let length = eligibleLength(head) {
                self.head = head
                body = context.channel.allocator.buffer(capacity: length)
                return
            }
            passedThroughInFlight += 1
            context.fireChannelRead(data)
        case .body(var chunk):
            guard body != nil else { return context.fireChannelRead(data) }
            body!.writeBuffer(&chunk)
        case .end:
            guard let complete = body, let head else { return context.fireChannelRead(data) }
            body = nil
            self.head = nil
            respond(context: context, head: head, body: complete)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { passedThroughInFlight = max(0, passedThroughInFlight - 1) }
        context.write(data, promise: promise)
    }

    /// The declared body length when this request is a plain heartbeat we can answer here.
    private func eligibleLength(_ head: HTTPRequestHead) -> Int? {
        guard head.method == .POST, head.version == .http1_1, head.isKeepAlive else { return nil }
        let target = AccessPolicy.target(Substring(head.uri))
        guard target.path == Self.path else { return nil }
        let headers = head.headers
        // The same decision as the gate's; a refused request goes on to the gate, which answers
        // 401 and logs it.
        let token = target.pathToken ?? AccessPolicy.bearer(headers.first(name: "authorization").map { Substring($0) })
        guard ctx.access.policy.decide(.ingest, token: token) == .allow else { return nil }
        guard let length = headers.first(name: "content-length").flatMap({ Int($0) }), length <= ctx.maxBodyBytes,
            !headers.contains(name: "transfer-encoding"), !headers.contains(name: "expect")
        else { return nil }
        if let type = headers.first(name: "content-type"), !JSONBody.isJSON(type) { return nil }
        return length
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer) {
        let status: HTTPResponse.Status
        let bytes: ByteBuffer
        do throws(APIError) {
            guard let (id, now) = try MonitoringRoutes.refreshHeartbeat(try JSONBody.object(body), ctx: ctx) else {
                // It registers an execution or reports a terminal status: that must be durable
                // first, which is the Hummingbird route's (async) job. Hand the whole request on.
                passedThroughInFlight += 1
                context.fireChannelRead(wrapInboundOut(.head(head)))
                context.fireChannelRead(wrapInboundOut(.body(body)))
                context.fireChannelRead(wrapInboundOut(.end(nil)))
                return
            }
            status = .ok
            bytes = ByteBuffer(string: MonitoringRoutes.okText(executionID: id, nowMs: now, extra: nil))
        } catch {
            status = error.status
            bytes = ByteBuffer(bytes: error.body)
            ctx.metrics.rejectedByStatus(status.code).increment()
        }
        let head = HTTPResponseHead(
            version: .http1_1, status: .init(statusCode: status.code),
            headers: ["Content-Type": "application/json", "Content-Length": String(bytes.readableBytes)]
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
