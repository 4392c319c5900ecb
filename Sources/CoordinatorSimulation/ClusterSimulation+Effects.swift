import Coordinator
import CoordinatorCore
import Gossip

/// The simulated IO the nodes' effects run on: a shared store whose appends take time, hang in
/// a stall or fail, a network for gossip, and a notification receiver.
extension ClusterSimulation {
    /// Carries out an interpreter's output the way `NodeDriver` does, on simulated IO.
    mutating func perform(_ output: DriverOutput, by i: Int) {
        let node = nodes[i]
        for effect in output.immediate {
            switch effect {
            case .publish(let publication):
                try? _ = node.gossip.set(
                    key: EntryKey(high: publication.id.high, low: publication.id.low), value: publication.value, stamp: publication.stampMs, now: node.moment(now)
                )
                scheduleWake(i)
            case .forget(let id):
                _ = node.gossip.delete(key: EntryKey(high: id.high, low: id.low), stamp: 0, now: node.moment(now))
                scheduleWake(i)
            case .observe(let event):
                if settings.trace { print("\(now) \(node.id) \(event)") }
            }
        }
        answered(output.answers, by: i)
        for effect in output.effects {
            switch effect {
            case .append(let batch, let writes):
                startAppend(i, batch: batch, writes: writes)
            case .deliver(let attempt):
                deliver(attempt, by: i)
            case .probe, .repair:
                break  // no probed services in the simulation
            }
        }
    }

    /// An append starts: it is durable after the store's latency (after the stall, if one is on),
    /// or fails.
    mutating func startAppend(_ i: Int, batch: BatchID, writes: [DurableWrite]) {
        nodes[i].interpreter.started(batch, at: nodes[i].judge(now))
        var done = now + Int64.random(in: settings.storeLatencyMs, using: &rng)
        if let stall = settings.writeStall, stall.node == i, stall.window.contains(now) {
            done = stall.window.upperBound + Int64.random(in: settings.storeLatencyMs, using: &rng)
            report.stalledAppends += 1
        }
        var fails = false
        if let failure = settings.writeFailure, failure.node == i, failure.window.contains(now) {
            fails = Double.random(in: 0..<1, using: &rng) < failure.share
        }
        queue.push(done, .appended(node: i, incarnation: nodes[i].incarnation, batch: batch, writes: writes, fails: fails))
    }

    /// The store reports an append. A node that died meanwhile lost it (not durable).
    mutating func appended(_ i: Int, incarnation: Int, batch: BatchID, writes: [DurableWrite], fails: Bool) {
        let node = nodes[i]
        guard node.up, node.incarnation == incarnation else { return }
        let at = node.now(now)
        let output: DriverOutput
        if fails {
            report.failedAppends += 1
            output = node.interpreter.appended(batch, .failure(WriteFailure(.io, detail: "EIO (injected)")), now: at)
        } else {
            let positions = writes.map { durable($0, by: node) }
            output = node.interpreter.appended(batch, .success(positions), now: at)
        }
        perform(output, by: i)
        check(i)
    }

    /// Appends one write to the shared store, noting marks and claims for the verdict.
    mutating func durable(_ write: DurableWrite, by node: SimulatedNode) -> LogPosition {
        let position = store.append(write, by: node.id, at: now)
        if write.kind == .failureMark, let fact = ExecutionFact(kind: .failureMark, payload: write.payload) {
            let key = NotificationEvent.key(.executionFailed, execution: fact.executionID)
            if markedAt[key] == nil { markedAt[key] = now }
        }
        if write.kind == .leadershipTerm {
            report.terms += 1
            leaderChanges.append(now)
            if settings.trace { print("\(now) \(node.id) claims term \(write.term)") }
        }
        return position
    }

    mutating func deliver(_ attempt: NotificationAttempt, by i: Int) {
        let node = nodes[i]
        report.attempts += 1
        if firstAttemptAt[attempt.target.key] == nil { firstAttemptAt[attempt.target.key] = now }
        queue.push(now + Int64.random(in: settings.deliveryDelayMs, using: &rng), .deliveryArrives(node: i, incarnation: node.incarnation, attempt: attempt))
        if let after = settings.killSenderAfterMs, now >= after, !killedSender, node.up {
            killedSender = true
            report.sendersKilled += 1
            kill(.node(i))
        }
    }

    /// Carries out a gossip node's actions the way `GossipService` does, over the simulated network.
    mutating func performGossip(_ actions: [GossipAction], by i: Int) {
        let node = nodes[i]
        for action in actions {
            switch action {
            case .send(let packet, let address):
                guard let to = nodes.firstIndex(where: { Self.address($0.index) == address }), to != i, !partitioned(i, to, at: now) else { continue }
                queue.push(now + delay(), .packet(to: to, incarnation: nodes[to].incarnation, from: i, packet: packet, sentAtMs: now))
            case .replicaChanged(let change):
                let at = node.now(now)
                perform(node.interpreter.step { GossipReplicaBridge.apply(change, to: &$0, now: at).actions }, by: i)
            case .memberChanged, .dropped:
                break
            }
        }
        scheduleWake(i)
    }
}
