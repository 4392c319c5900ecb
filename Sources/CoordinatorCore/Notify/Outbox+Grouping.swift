extension Outbox {
    /// Where a grouping channel holds its events until they are grouped: one channel, one kind.
    struct Bucket: Sendable, Hashable {
        var channel: String
        var kind: EventKind
    }

    // MARK: Grouping

    /// Groups decided by ``due(now:term:)``, to make durable before they are sent.
    public mutating func takeGroupDecisions() -> [NotificationGroup] {
        defer { groupDecisions = [] }
        return groupDecisions
    }

    /// A group is durable (this node's, or read from the store): its members are owed as one
    /// message, under the group's key, and no longer alone.
    public mutating func applyGroup(_ group: NotificationGroup, now: NodeNow) {
        guard isActive, !group.members.isEmpty else { return }
        let target = Target(key: group.key, channel: group.channel)
        let settled = acked[target]
        for member in group.members {
            let memberTarget = Target(key: member.key, channel: group.channel)
            grouping.remove(memberTarget)
            if known[member.key] == nil { known[member.key] = member.occurredAtMs }
            if let removed = pending.removeValue(forKey: memberTarget), removed.inFlight != nil { inFlight[removed.channel, default: 1] -= 1 }
            if let settled {
                acked[memberTarget] = settled
            } else {
                groupOf[memberTarget] = group.key
            }
        }
        guard settled == nil, pending[target] == nil else { return }
        pendingGroups[group.key] = group
        pending[target] = Pending(event: group.event, channel: group.channel, dueAt: now.judge)
        schedule(target, at: now.judge)
    }

    /// A group could not be made durable: its members are owed alone again (and may be
    /// grouped anew).
    public mutating func groupNotWritten(_ group: NotificationGroup, now: NodeNow) {
        for member in group.members {
            let memberTarget = Target(key: member.key, channel: group.channel)
            guard grouping.remove(memberTarget) != nil, pending[memberTarget] != nil else { continue }
            pending[memberTarget]?.dueAt = now.judge + 1_000
            schedule(memberTarget, at: now.judge + 1_000)
            ungrouped[Bucket(channel: group.channel, kind: group.kind), default: []].append(memberTarget)
        }
    }

    /// Groups the events of `target`'s channel and kind that are waiting (`target` among them);
    /// `false` when it is alone (then it is sent alone).
    mutating func decideGroup(around target: Target, _ item: Pending, rule: ChannelRule) -> Bool {
        let bucket = Bucket(channel: item.channel, kind: item.event.kind)
        let waiting = (ungrouped.removeValue(forKey: bucket) ?? []).filter { candidate in
            guard let p = pending[candidate], p.attempts == 0, p.inFlight == nil, p.acking == nil, !grouping.contains(candidate) else { return false }
            return true
        }
        guard waiting.count >= 2, waiting.contains(target) else {
            let rest = waiting.filter { $0 != target }
            if !rest.isEmpty { ungrouped[bucket] = rest }
            return false
        }
        let chosen = [target] + waiting.filter { $0 != target }.prefix(max(1, rule.groupMax) - 1)
        let rest = waiting.filter { !chosen.contains($0) }
        if !rest.isEmpty { ungrouped[bucket] = rest }
        for member in chosen { grouping.insert(member) }
        groupDecisions.append(NotificationGroup(channel: item.channel, kind: item.event.kind, members: chosen.compactMap { pending[$0]?.event }))
        return true
    }
}
