import HeapModule

extension Outbox {
    /// Checks every relation the outbox keeps between its collections by hand; returns a
    /// description of the first broken one (`nil`: all hold). Costs a pass over what it holds:
    /// for tests and the simulation, not for every request.
    public func invariantViolation() -> String? {
        pendingViolation() ?? inFlightViolation() ?? scheduleViolation() ?? groupViolation() ?? historyViolation()
    }

    /// Each delivery is filed under its own target; in flight, acknowledging and acknowledged exclude each other.
    private func pendingViolation() -> String? {
        for (target, item) in pending {
            if item.event.key != target.key || item.channel != target.channel { return "pending \(target) holds \(item.event.key) → \(item.channel)" }
            if let attempt = item.inFlight {
                if attempt != item.attempts { return "pending \(target) has attempt \(attempt) in flight after \(item.attempts) attempts" }
                if item.acking != nil { return "pending \(target) is in flight and acknowledging at once" }
            }
            if acked[target] != nil { return "\(target) is both pending and acknowledged" }
            if groupOf[target] != nil { return "\(target) is pending alone while its group is owed" }
        }
        return nil
    }

    /// The per-channel counts of attempts in flight are the pending deliveries marked in flight.
    private func inFlightViolation() -> String? {
        var counted: [String: Int] = [:]
        for item in pending.values where item.inFlight != nil { counted[item.channel, default: 0] += 1 }
        for (channel, count) in inFlight where count != counted[channel, default: 0] {
            return "channel \(channel) counts \(count) attempts in flight, \(counted[channel, default: 0]) pending are"
        }
        for (channel, count) in counted {
            if inFlight[channel] == nil { return "channel \(channel) has \(count) attempts in flight uncounted" }
            if count > settings.maxInFlight { return "channel \(channel) has \(count) attempts in flight, over \(settings.maxInFlight)" }
        }
        return nil
    }

    /// Every delivery waiting for its turn (not in flight, not acknowledging, not held in a group
    /// being decided) has a queue entry at its due time: none is forgotten.
    private func scheduleViolation() -> String? {
        var scheduled: Set<Target> = []
        for entry in queue.unordered where pending[entry.target]?.dueAt == entry.at { scheduled.insert(entry.target) }
        for (target, item) in pending where item.inFlight == nil && item.acking == nil && !grouping.contains(target) {
            if !scheduled.contains(target) { return "pending \(target) due at \(item.dueAt.ms) is not scheduled" }
        }
        return nil
    }

    /// Groups: a member held for a group is owed by that group (and only through it); an owed
    /// group is pending under its own key; buckets hold their own channel's targets.
    private func groupViolation() -> String? {
        for (member, key) in groupOf {
            guard let group = pendingGroups[key] else { return "\(member) belongs to group \(key), which is not owed" }
            if group.channel != member.channel || !group.members.contains(where: { $0.key == member.key }) { return "\(member) is not a member of its group \(key)" }
        }
        for (key, group) in pendingGroups {
            if group.key != key { return "group \(group.key) is filed under \(key)" }
            if pending[Target(key: key, channel: group.channel)] == nil { return "group \(key) is owed but not pending" }
        }
        for member in grouping where groupOf[member] != nil { return "\(member) is being grouped and already in group \(groupOf[member]!)" }
        for (bucket, targets) in ungrouped {
            if rules[bucket.channel].map({ $0.groupWindowMs > 0 }) != true { return "channel \(bucket.channel) holds events but does not group" }
            if let stray = targets.first(where: { $0.channel != bucket.channel }) { return "\(stray) waits in channel \(bucket.channel)'s bucket" }
        }
        return nil
    }

    private func historyViolation() -> String? {
        history.count > settings.historyLimit * 2 ? "history holds \(history.count) deliveries, over twice its limit \(settings.historyLimit)" : nil
    }
}
