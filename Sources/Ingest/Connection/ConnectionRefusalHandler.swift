import NIOCore

/// First in the pipeline of a connection over a cap: answers `503` (node full) or `429` (too
/// many from this client) in the house error shape with `Connection: close`, ignores whatever the
/// client sends, and closes.
final class ConnectionRefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let refusal: ConnectionLimiter.Refusal

    init(_ refusal: ConnectionLimiter.Refusal) {
        self.refusal = refusal
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private var sent = false

    private func refuse(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        let (status, extra, message): (String, String, String) =
            switch refusal {
            case .nodeFull(let limit):
                ("503 Service Unavailable", "Retry-After: 1\r\n", "The node holds its limit of \(limit) connections (http.max_connections); retry shortly")
            case .clientFull(let limit):
                ("429 Too Many Requests", "Retry-After: 1\r\n", "This client holds its limit of \(limit) connections (http.max_connections_per_client)")
            }
        let body = #"{"status":"error","message":"\#(message)"}"#
        let text = "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(extra)Connection: close\r\n\r\n\(body)"
        let channel = context.channel
        context.writeAndFlush(NIOAny(ByteBuffer(string: text))).whenComplete { _ in channel.close(promise: nil) }
    }
}
