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
    /// When the current phase began.
    private var since = NIODeadline.now()
    /// Requests whose head came and whose response has not ended.
    private var unanswered = 0
    /// One repeating check per connection: a phase change only notes the time (no timer is
    /// scheduled or cancelled per request; the heartbeat path stays cheap).
    private var check: RepeatedTask?

    init(limits: Limits, closed: @escaping @Sendable (String) -> Void) {
        self.limits = limits
        self.closed = closed
    }

    var rawWatcher: RawWatcher { RawWatcher(guard: self) }
    var phaseWatcher: PhaseWatcher { PhaseWatcher(guard: self) }

    /// How often the deadlines are checked: a quarter of the shortest, at most a second.
    var checkEvery: TimeAmount {
        min(.seconds(1), TimeAmount.nanoseconds(min(limits.header.nanoseconds, limits.body.nanoseconds, limits.idle.nanoseconds) / 4))
    }

    fileprivate func start(context: ChannelHandlerContext) {
        enter(.idle)
        let channel = context.channel
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: checkEvery, delay: checkEvery) { task in
            let guardian = bound.value
            guard let phase = guardian.overdue() else { return }
            task.cancel()
            guardian.closed(phase.rawValue)
            channel.close(promise: nil)
        }
    }

    /// The phase whose deadline has passed, if any.
    private func overdue() -> Phase? {
        let limit: TimeAmount? =
            switch phase {
            case .idle: limits.idle
            case .head: limits.header
            case .body: limits.body
            case .answering: nil
            }
        guard let limit, NIODeadline.now() - since > limit else { return nil }
        return phase
    }

    fileprivate func enter(_ next: Phase) {
        phase = next
        since = NIODeadline.now()
    }

    fileprivate func bytesArrived() {
        if phase == .idle { enter(.head) }
    }

    fileprivate func headArrived() {
        unanswered += 1
        enter(.body)
    }

    fileprivate func requestEnded() {
        enter(.answering)
    }

    fileprivate func responseEnded() {
        unanswered = max(0, unanswered - 1)
        if unanswered == 0, phase == .answering { enter(.idle) }
    }

    fileprivate func stop() {
        check?.cancel()
        check = nil
    }

    /// Sees raw bytes arrive.
    final class RawWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        let guardian: SlowClientGuard

        init(guard: SlowClientGuard) { guardian = `guard` }

        func handlerAdded(context: ChannelHandlerContext) {
            guardian.start(context: context)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            guardian.stop()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guardian.bytesArrived()
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
            case .head: guardian.headArrived()
            case .end: guardian.requestEnded()
            case .body: break
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { guardian.responseEnded() }
            context.write(data, promise: promise)
        }
    }
}
