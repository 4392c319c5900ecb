import NIOCore
import NIOHTTP1

/// Answers requests whose HTTP framing cannot be parsed (a bad request line or header, an
/// impossible Content-Length) with `400` in the house error shape and closes the connection,
/// instead of NIO's empty 400. Sits right after the HTTP decoder.
///
/// A framing error in the middle of a body (a broken chunk size) reaches the handler that is
/// reading the body instead, which answers it the same way (see ``ErrorShapeMiddleware``).
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A request's head was read and its end not yet.
    private var inRequest = false
    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: inRequest = true
        case .end: inRequest = false
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError, !inRequest else {
            context.fireErrorCaught(error)
            return
        }
        guard !answered else { return }
        answered = true
        let body = #"{"status":"error","message":"Malformed HTTP request: \#(Self.describe(parseError))"}"#
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    /// Words for the parser's error (no request bytes are echoed back).
    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .invalidChunkSize: "invalid chunk size"
        case .invalidContentLength, .unexpectedContentLength: "invalid Content-Length"
        case .invalidHeaderToken, .invalidConstant, .lfExpected: "invalid header"
        case .headerOverflow: "headers too large"
        case .invalidMethod: "invalid method"
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment: "invalid request target"
        case .invalidVersion: "invalid HTTP version"
        default: "\(error)"
        }
    }
}
