import Coordinator
import CoordinatorCore
import Gossip

/// Containers' requests and the nodes' periodic inputs (ticks, store polls), through each
/// node's ``NodeInterpreter`` as `NodeDriver` feeds it.
extension ClusterSimulation {
    mutating func heartbeat(_ e: Int) {
        let execution = executions[e]
        guard !execution.finished, now < execution.diesAtMs, now < execution.completesAtMs else { return }
        queue.push(now + settings.heartbeatEveryMs + Int64.random(in: -1_000...1_000, using: &rng), .heartbeat(exec: e))
        if let cut = settings.cutOff, cut.contains(now) { return }  // lost on the way to any node
        if !nodes[execution.home].up {
            // The container's POST fails; it (or its load balancer) tries another node.
            let upNodes = nodes.indices.filter { nodes[$0].up }
            guard let other = upNodes.randomElement(using: &rng) else { return }
            executions[e].home = other
        }
        // The answer (possibly at once) updates `executions[e]`: no copy of it is held across.
        let node = nodes[executions[e].home]
        let heartbeat = Heartbeat(executionID: execution.id, containerID: "c-\(e)", clientTimestamp: node.wall(now).ms / 1000)
        submit(node.index, .heartbeat(heartbeat), asked: .heartbeat(exec: e))
        if Double.random(in: 0..<1, using: &rng) < settings.retryShare {
            queue.push(now + Int64.random(in: 1...3, using: &rng), .retry(exec: e, node: node.index))
        }
    }

    mutating func complete(_ e: Int) {
        let execution = executions[e]
        guard !execution.finished else { return }
        let candidates = nodes.indices.filter { nodes[$0].up }
        guard !candidates.isEmpty else {
            queue.push(now + 1_000, .complete(exec: e))
            return
        }
        let target = nodes[execution.home].up ? execution.home : candidates.randomElement(using: &rng)!
        let completion = Completion(executionID: execution.id, containerID: "c-\(e)", success: true)
        submit(target, .completion(completion), asked: .completion(exec: e))
    }

    /// A request to node `i`, as `CoordinatorNode` makes it: decided now, after its write, or
    /// after the write in flight it waits behind.
    mutating func submit(_ i: Int, _ request: NodeRequest, asked what: Asked) {
        let node = nodes[i]
        let (id, output) = node.interpreter.submit(request, wallMs: node.wall(now).ms, now: node.judge(now))
        asked[i, default: [:]][id] = what
        if output.answers.isEmpty, output.batches.isEmpty { report.parkedRequests += 1 }
        perform(output, by: i)
    }

    /// Requests decided: a container learns whether its heartbeat or completion was taken.
    mutating func answered(_ answers: [(request: RequestID, result: Result<NodeAnswer, StoreUnavailable>)], by i: Int) {
        for (id, result) in answers {
            guard let what = asked[i]?.removeValue(forKey: id) else { continue }
            let taken: Bool
            switch result {
            case .success(.heartbeat(.success)), .success(.recorded(.success)): taken = true
            case .success: taken = false
            case .failure:
                report.refusedRequests += 1
                taken = false
            }
            switch what {
            case .heartbeat(let e):
                guard taken else { continue }
                executions[e].lastHeartbeatReceivedMs = now
                executions[e].registered = true
            case .completion(let e):
                if taken || result.isConflict {
                    executions[e].finished = true
                } else {
                    queue.push(now + 1_000, .complete(exec: e))  // refused: the container retries
                }
            }
        }
    }

    mutating func tick(_ i: Int) {
        let node = nodes[i]
        let members = node.gossip.membership.sortedMembers
        var alive = GossipReplicaBridge.alive(members, me: node.id, configured: Set(ids))
        var confirmed = GossipReplicaBridge.confirmed(members, me: node.id, configured: Set(ids))
        if let blind = settings.blindness, blind.window.contains(now), blind.node == i {
            alive.remove(ids[blind.blindTo])
            confirmed.remove(ids[blind.blindTo])
        }
        let synced = GossipReplicaBridge.synced(lag: node.gossip.replica.versionLag())
        let reports = GossipReplicaBridge.storeReports(members, configured: Set(ids)) { node.gossip.replica.value(of: $0, key: GossipReplicaBridge.storeReportKey) }
        let at = node.now(now)
        // As `NodeDriver.tick`: the store's deadlines first, then the core's tick.
        var output = node.interpreter.checkDeadlines(now: at)
        output = output + node.interpreter.step { $0.tick(now: at, alive: alive, synced: synced, confirmed: confirmed, storeReports: reports) }
        while node.interpreter.core.sweepPending { output = output + node.interpreter.step { $0.continueSweep(now: at) } }
        perform(output, by: i)
        let leaders = nodes.filter { $0.up && $0.interpreter.core.duty.election.leader == $0.id }
        if leaders.count > 1 { report.dualLeadershipTicks += 1 }
        check(i)
    }

    /// StoreFollower's poll: every record of other nodes since the last poll, then "read to the end".
    mutating func poll(_ i: Int) {
        let node = nodes[i]
        let started = node.now(now).judge
        var records: [StoredRecord] = []
        while node.storeCursor < store.records.count {
            let record = store.records[node.storeCursor].record
            node.storeCursor += 1
            if record.node != node.id { records.append(record) }
        }
        let at = node.now(now)
        let output = node.interpreter.step { core in
            var actions: [NodeAction] = []
            for record in records { actions += core.apply(stored: record, now: at) }
            core.noteStoreRead(at: started)
            return actions
        }
        perform(output, by: i)
        check(i)
    }
}

extension Result<NodeAnswer, StoreUnavailable> {
    /// The execution had already finished (a completion that raced a mark, say): nothing to retry.
    var isConflict: Bool {
        if case .success(.recorded(.failure)) = self { true } else { false }
    }
}
