import CoordinatorCore
import Testing

/// An ``Outbox`` whose every step is followed by its invariant check: the tests drive it as they
/// would the outbox, and a step that breaks a cross-collection relation fails at the line that
/// took it. Reads go straight through to the outbox.
@dynamicMemberLookup
struct CheckedOutbox {
    private(set) var box: Outbox

    init(_ box: Outbox) {
        self.box = box
        check(#_sourceLocation)
    }

    subscript<T>(dynamicMember path: KeyPath<Outbox, T>) -> T { box[keyPath: path] }

    private func check(_ sourceLocation: SourceLocation) {
        #expect(box.invariantViolation() == nil, sourceLocation: sourceLocation)
    }

    /// Takes one step on the outbox, then checks its invariants.
    private mutating func step<R>(_ sourceLocation: SourceLocation, _ body: (inout Outbox) -> R) -> R {
        let result = body(&box)
        check(sourceLocation)
        return result
    }

    @discardableResult
    mutating func record(_ event: NotificationEvent, now: NodeNow, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        step(sourceLocation) { $0.record(event, now: now) }
    }

    mutating func acknowledge(_ ack: NotificationAck, atMs: Int64, sourceLocation: SourceLocation = #_sourceLocation) {
        step(sourceLocation) { $0.acknowledge(ack, atMs: atMs) }
    }

    mutating func revoke(key: String, sourceLocation: SourceLocation = #_sourceLocation) {
        step(sourceLocation) { $0.revoke(key: key) }
    }

    mutating func due(now: NodeNow, term: UInt64, sourceLocation: SourceLocation = #_sourceLocation) -> [NotificationAttempt] {
        step(sourceLocation) { $0.due(now: now, term: term) }
    }

    mutating func finished(
        _ target: Outbox.Target, attempt: Int, result: DeliveryResult, now: NodeNow, sourceLocation: SourceLocation = #_sourceLocation
    ) -> NotificationAck? {
        step(sourceLocation) { $0.finished(target, attempt: attempt, result: result, now: now) }
    }

    mutating func ackNotWritten(_ ack: NotificationAck, sourceLocation: SourceLocation = #_sourceLocation) {
        step(sourceLocation) { $0.ackNotWritten(ack) }
    }

    mutating func takeUnwrittenAcks(sourceLocation: SourceLocation = #_sourceLocation) -> [NotificationAck] {
        step(sourceLocation) { $0.takeUnwrittenAcks() }
    }

    mutating func abandonAttempts(now: NodeNow, sourceLocation: SourceLocation = #_sourceLocation) {
        step(sourceLocation) { $0.abandonAttempts(now: now) }
    }

    mutating func takeGroupDecisions(sourceLocation: SourceLocation = #_sourceLocation) -> [NotificationGroup] {
        step(sourceLocation) { $0.takeGroupDecisions() }
    }

    mutating func applyGroup(_ group: NotificationGroup, now: NodeNow, sourceLocation: SourceLocation = #_sourceLocation) {
        step(sourceLocation) { $0.applyGroup(group, now: now) }
    }

    mutating func groupNotWritten(_ group: NotificationGroup, now: NodeNow, sourceLocation: SourceLocation = #_sourceLocation) {
        step(sourceLocation) { $0.groupNotWritten(group, now: now) }
    }

    mutating func restore(snapshot bytes: [UInt8], now: NodeNow, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        step(sourceLocation) { $0.restore(snapshot: bytes, now: now) }
    }
}
