import NIOCore
import NIOHTTP1

/// Answers requests whose HTTP framing cannot be parsed (a bad request line or header, an
/// impossible Content-Length, a broken chunk size in the middle of a body) with `400` in the
/// house error shape and closes the connection, instead of NIO's empty 400 or a 500 from the
/// handler whose body stream broke. Sits right after the HTTP decoder; the error goes no further
/// (the parser cannot go on on this connection anyway). If a response has already begun, the
/// connection is only closed.
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A response head was written and its end not yet.
    private var responding = false
    private var answered = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responding = true
        case .end: responding = false
        case .body: break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !answered else { return }
        answered = true
        guard !responding else {
            context.close(promise: nil)
            return
        }
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
