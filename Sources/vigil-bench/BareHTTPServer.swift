import NIOCore
import NIOHTTP1
import NIOPosix
import CoordinatorCore
import VigilJSON

/// HTTP's own floor on this machine: SwiftNIO's HTTP/1 pipeline answering every request with a
/// fixed 200 JSON body, never looking at the request body.
enum BareHTTPServer {
    static func run(port: Int) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Responder())
                }
            }
            .bind(host: "127.0.0.1", port: port).wait()
        print("bare-http listening on \(channel.localAddress!)")
        try channel.closeFuture.wait()
    }

    final class Responder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let body = ByteBuffer(string: #"{"status":"ok","timestamp":1700000000,"execution_id":"550e8400-e29b-41d4-a716-446655440000"}"#)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
