import Coordinator
import Foundation
import Gossip
import CoordinatorCore

/// Memory per tracked execution on one node of a three-node cluster: `count` executions whose
/// heartbeats arrive evenly at the three nodes (origins). This node holds its view (the
/// registry: a third taken here, two thirds merged from gossip) and the gossip replica of all
/// three origin tables. Each heartbeat carries seed 003's progress.
enum ClusterMemoryBenchmark {
    static func run(count: Int) {
        var core = NodeCore(settings: NodeCore.Settings(me: "n1", configured: ["n1", "n2", "n3"], started: 1_700_000_000_000, gossipValueBytes: 526))
        var replica = Replica(me: NodeIdentity(id: "n1", generation: 1))
        let peers = [NodeIdentity(id: "n2", generation: 1), NodeIdentity(id: "n3", generation: 1)]
        var pending: [[DeltaEntry]] = [[], []]
        var versions: [UInt64] = [0, 0]
        let now = Moment(nanoseconds: 0)
        let before = MemoryBenchmark.residentBytes()
        func flush(_ p: Int) {
            guard !pending[p].isEmpty else { return }
            let base = versions[p]
            versions[p] += UInt64(pending[p].count)
            _ = replica.apply(OriginDelta(origin: peers[p], base: base, upTo: versions[p], floor: 0, entries: pending[p]), now: now)
            pending[p].removeAll(keepingCapacity: true)
        }
        for i in 0..<count {
            let id = ExecutionID(high: UInt64(i) &* 0x9E37_79B9_7F4A_7C15, low: UInt64(i))
            let progress = MemoryBenchmark.seedProgress(i)
            let stamp = 1_700_000_000_000 + Int64(i)
            let entry = HeartbeatEntry(status: .running, registeredAtMs: stamp, clientTimestamp: 1_640_995_200, containerID: "crawler-\(i)", progress: progress)
            let key = EntryKey(high: id.high, low: id.low)
            let value = entry.encoded(stampMs: stamp, maxBytes: 526)
            let origin = i % 3
            if origin == 0 {
                var published: [NodeAction] = []
                let heartbeat = Heartbeat(executionID: id, containerID: entry.containerID, clientTimestamp: 1_640_995_200, progress: progress)
                let nodeNow = NodeNow(wall: WallTime(ms: stamp), judge: 0)
                if case .write(let ticket, _) = core.receive(heartbeat, now: nodeNow) {
                    published = core.written(ticket, at: LogPosition(segment: 0, offset: 0), now: nodeNow).actions
                }
                for case .publish(let publication) in published {
                    _ = replica.write(key: key, value: publication.value, stamp: publication.stampMs, now: now)
                }
            } else {
                _ = core.merge(remoteValue: value, id: id, origin: peers[origin - 1].id, stampMs: stamp, now: NodeNow(wall: WallTime(ms: stamp), judge: 0))
                let p = origin - 1
                pending[p].append(DeltaEntry(key: key, value: VersionedValue(version: versions[p] + UInt64(pending[p].count) + 1, stamp: stamp, value: value)))
                if pending[p].count == 1_000 { flush(p) }
            }
        }
        flush(0)
        flush(1)
        let after = MemoryBenchmark.residentBytes()
        let held = replica.origins.map { replica.entries(of: $0.id).count }.reduce(0, +)
        print("memory-cluster: executions \(count) origins 3 replica_entries \(held) view_records \(core.table.counts.total) bytes_per_execution \(Int((Double(after - before) / Double(count)).rounded()))")
        withExtendedLifetime((core, replica)) {}
    }
}
