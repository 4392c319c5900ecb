import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOSSL
import CoordinatorCore

/// Hummingbird's HTTP/1 child channel with Vigil's guards around it:
/// 1. ``ConnectionLimiter``: a connection over a cap is answered 503/429 and closed;
/// 2. ``SlowClientGuard``'s deadlines (head, body, idle);
/// 3. TLS when configured (the context current at accept time, see ``ServerTLS``);
/// 4. NIO's HTTP codec (its parser caps a head at 80 KiB), ``MalformedRequestHandler``, and
///    ``HeartbeatFastPath`` ahead of the conversion to HTTP types that only the Hummingbird
///    path needs. Otherwise the same pipeline as `HTTP1Channel`.
struct IngestHTTP1Channel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let ctx: IngestContext

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let front = ctx.front
        let client = channel.remoteAddress?.ipAddress ?? "unknown"
        let refusal = front.connections.admit(client)
        if refusal == nil {
            channel.closeFuture.whenComplete { _ in front.connections.release(client) }
        } else {
            front.refused.increment()
        }
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            if let refusal {
                try pipeline.addHandler(ConnectionRefusalHandler(refusal))
            }
            let guardian = SlowClientGuard(limits: front.limits) { phase in front.slowClosed(phase) }
            try pipeline.addHandler(guardian.rawWatcher)
            if let tls = front.tls {
                try pipeline.addHandler(NIOSSLServerHandler(context: tls.current))
            }
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false
            )
            try pipeline.addHandler(MalformedRequestHandler())
            try pipeline.addHandler(guardian.phaseWatcher)
            try pipeline.addHandler(HeartbeatFastPath(ctx: ctx))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: front.tls != nil))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try Value(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}
