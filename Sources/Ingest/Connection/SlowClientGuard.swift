import Metrics
import NIOCore
import NIOHTTP1

/// Deadlines that keep slow or idle clients from holding connections (slowloris):
/// - a request's head must arrive whole within `header` of its first byte;
/// - its body within `body` of the head;
/// - a connection with no request under way is closed after `idle`.
/// Time spent answering (a durable write) is never limited: that is the node's, not the client's.
///
/// Two handlers share one guard: ``rawWatcher`` sits first (it sees bytes arrive, TLS handshake
/// included, before anything is parsed) and ``phaseWatcher`` right after the HTTP codec (it
/// sees request heads and ends and response ends). Both run on the connection's event loop.
final class SlowClientGuard {
    struct Limits: Sendable {
        var header: TimeAmount
        var body: TimeAmount
        var idle: TimeAmount
    }

    enum Phase: String {
        case idle, head, body, answering
    }

    let limits: Limits
    let closed: @Sendable (String) -> Void
    private var phase = Phase.idle
    /// Requests whose head came and whose response has not ended.
    private var unanswered = 0
    private var timer: Scheduled<Void>?

    init(limits: Limits, closed: @escaping @Sendable (String) -> Void) {
        self.limits = limits
        self.closed = closed
    }

    var rawWatcher: RawWatcher { RawWatcher(guard: self) }
    var phaseWatcher: PhaseWatcher { PhaseWatcher(guard: self) }

    fileprivate func enter(_ next: Phase, context: ChannelHandlerContext) {
        phase = next
        timer?.cancel()
        timer = nil
        let limit: TimeAmount? =
            switch next {
            case .idle: limits.idle
            case .head: limits.header
            case .body: limits.body
            case .answering: nil
            }
        guard let limit else { return }
        let channel = context.channel
        let loop = context.eventLoop.assumeIsolated()
        timer = loop.scheduleTask(in: limit) { [self] in
            guard phase == next else { return }
            closed(next.rawValue)
            channel.close(promise: nil)
        }
    }

    fileprivate func bytesArrived(context: ChannelHandlerContext) {
        if phase == .idle { enter(.head, context: context) }
    }

    fileprivate func headArrived(context: ChannelHandlerContext) {
        unanswered += 1
        enter(.body, context: context)
    }

    fileprivate func requestEnded(context: ChannelHandlerContext) {
        enter(.answering, context: context)
    }

    fileprivate func responseEnded(context: ChannelHandlerContext) {
        unanswered = max(0, unanswered - 1)
        if unanswered == 0, phase == .answering { enter(.idle, context: context) }
    }

    fileprivate func stop() {
        timer?.cancel()
        timer = nil
    }

    /// Sees raw bytes arrive.
    final class RawWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        let guardian: SlowClientGuard

        init(guard: SlowClientGuard) { guardian = `guard` }

        func handlerAdded(context: ChannelHandlerContext) {
            guardian.enter(.idle, context: context)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guardian.bytesArrived(context: context)
            context.fireChannelRead(data)
        }

        func channelInactive(context: ChannelHandlerContext) {
            guardian.stop()
            context.fireChannelInactive()
        }
    }

    /// Sees request heads and ends, and response ends.
    final class PhaseWatcher: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart
        let guardian: SlowClientGuard

        init(guard: SlowClientGuard) { guardian = `guard` }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: guardian.headArrived(context: context)
            case .end: guardian.requestEnded(context: context)
            case .body: break
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { guardian.responseEnded(context: context) }
            context.write(data, promise: promise)
        }
    }
}
