import HeapModule

extension Outbox {
    // MARK: Delivering (the leader only)

    /// The attempts due at `now`, at most ``Settings/maxInFlight`` per channel in flight.
    public mutating func due(now: NodeNow, term: UInt64) -> [NotificationAttempt] {
        pruneIfDue(now: now)
        var attempts: [NotificationAttempt] = []
        var deferred: [Due] = []
        while let next = queue.min, next.at <= now.judge {
            _ = queue.removeMin()
            guard var item = pending[next.target], item.dueAt == next.at, item.inFlight == nil, item.acking == nil, !grouping.contains(next.target) else { continue }
            if item.attempts == 0, pendingGroups[next.target.key] == nil, let rule = rules[item.channel], rule.groupWindowMs > 0, decideGroup(around: next.target, item, rule: rule) {
                continue
            }
            guard inFlight[item.channel, default: 0] < settings.maxInFlight else {
                deferred.append(next)
                continue
            }
            item.attempts += 1
            item.inFlight = item.attempts
            pending[next.target] = item
            inFlight[item.channel, default: 0] += 1
            var attempt = NotificationAttempt(target: next.target, event: item.event, attempt: item.attempts, term: term)
            if let group = pendingGroups[next.target.key] { attempt.members = group.members.map { NotificationMember(event: $0) } }
            attempts.append(attempt)
        }
        for entry in deferred { queue.insert(entry) }
        return attempts
    }

    /// An attempt ended. Returns the acknowledgement to make durable, if it settles the
    /// delivery (delivered, or undeliverable past the horizon); a failure before the horizon is
    /// retried after a backoff.
    public mutating func finished(_ target: Target, attempt: Int, result: DeliveryResult, now: NodeNow) -> NotificationAck? {
        guard var item = pending[target], item.inFlight == attempt else { return nil }
        item.inFlight = nil
        inFlight[item.channel, default: 1] -= 1
        switch result {
        case .delivered:
            item.acking = NotificationAck(key: target.key, channel: target.channel, outcome: .delivered, attempts: item.attempts, lastError: item.lastError)
        case .failed(let error):
            item.lastError = error
            if now.wall.ms - item.event.occurredAtMs >= settings.horizonMs {
                item.acking = NotificationAck(key: target.key, channel: target.channel, outcome: .undeliverable, attempts: item.attempts, lastError: error)
            } else {
                item.dueAt = now.judge + retryDelay(after: item.attempts)
                schedule(target, at: item.dueAt)
            }
        }
        pending[target] = item
        return item.acking
    }

    /// An acknowledgement could not be made durable: it is asked for again (``acksToWrite``).
    public mutating func ackNotWritten(_ ack: NotificationAck) {
        let target = Target(key: ack.key, channel: ack.channel)
        guard pending[target]?.acking == ack else { return }
        unwrittenAcks.append(ack)
    }

    /// Acknowledgements decided whose write failed, to write again.
    public mutating func takeUnwrittenAcks() -> [NotificationAck] {
        defer { unwrittenAcks = [] }
        return unwrittenAcks.filter { acked[Target(key: $0.key, channel: $0.channel)] == nil }
    }

    /// Leadership ended: attempts in flight are forgotten (their results, if they come, are
    /// ignored; whoever leads next owes the same deliveries).
    public mutating func abandonAttempts(now: NodeNow) {
        guard !inFlight.isEmpty else { return }
        for (target, var item) in pending where item.inFlight != nil {
            item.inFlight = nil
            item.dueAt = now.judge
            pending[target] = item
            schedule(target, at: now.judge)
        }
        inFlight = [:]
    }

    // MARK: Scheduling

    /// The retry delay after `attempts` failures: exponential, capped, with jitter (half fixed,
    /// half random) so a receiver that comes back is not hit by every retry at once.
    mutating func retryDelay(after attempts: Int) -> Int64 {
        let exponent = min(max(attempts - 1, 0), 30)
        let full = min(settings.maxRetryMs, settings.firstRetryMs << Int64(exponent))
        let half = max(full / 2, 1)
        return half + Int64(random.next() % UInt64(half))
    }

    mutating func schedule(_ target: Target, at time: JudgeTime) {
        dueSequence += 1
        queue.insert(Due(at: time, sequence: dueSequence, target: target))
    }

    /// Forgets keys and acknowledgements past twice the horizon (once a minute).
    mutating func pruneIfDue(now: NodeNow) {
        if let last = prunedAt, now.judge - last < 60_000 { return }
        prunedAt = now.judge
        let limit = now.wall.ms - 2 * settings.horizonMs
        known = known.filter { $0.value >= limit }
        acked = acked.filter { $0.value >= limit }
    }

    /// A delivery due at a judge time (`sequence` orders equal times by scheduling).
    struct Due: Comparable, Sendable {
        var at: JudgeTime
        var sequence: UInt64
        var target: Target
        static func < (a: Due, b: Due) -> Bool { (a.at, a.sequence) < (b.at, b.sequence) }
        static func == (a: Due, b: Due) -> Bool { a.at == b.at && a.sequence == b.sequence }
    }
}
