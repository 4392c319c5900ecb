import CoordinatorCore
import Gossip
import VigilCodec

/// One simulated coordinator: its real cores plus what the simulator tracks about it.
final class SimulatedNode {
    let index: Int
    let id: String
    let generation: UInt64
    var incarnation = 0
    var up = true
    let upSinceMs: Int64
    let wallSkewMs: Int64
    /// The driver's interpreter around the node's real core (the same value `NodeDriver` runs).
    var interpreter: NodeInterpreter!
    var gossip: GossipNode!
    var rng: SplitMix64
    var storeCursor = 0
    var scheduledWake: Int64?

    init(index: Int, id: String, generation: UInt64, wallSkewMs: Int64, upSinceMs: Int64, rngSeed: UInt64) {
        self.index = index
        self.id = id
        self.generation = generation
        self.wallSkewMs = wallSkewMs
        self.upSinceMs = upSinceMs
        self.rng = SplitMix64(seed: rngSeed)
    }

    /// Its judge clock: ms since it started.
    func judge(_ now: Int64) -> JudgeTime { JudgeTime(ms: now - upSinceMs) }
    /// Its wall clock, skewed.
    func wall(_ now: Int64) -> WallTime { WallTime(ms: 1_700_000_000_000 + now + wallSkewMs) }
    func now(_ now: Int64) -> NodeNow { NodeNow(wall: wall(now), judge: judge(now)) }
    /// Its gossip timeline (nanoseconds since it started).
    func moment(_ now: Int64) -> Moment { Moment(nanoseconds: (now - upSinceMs) * 1_000_000) }
}

/// The shared store: every node's records in the order they were appended (each durable at
/// once), with per-node positions.
struct SimulatedStore {
    var records: [(record: StoredRecord, atMs: Int64)] = []
    var counts: [String: Int] = [:]

    mutating func append(_ write: DurableWrite, by node: String, at now: Int64) -> LogPosition {
        let offset = counts[node, default: 0]
        counts[node] = offset + 1
        let position = LogPosition(segment: 1, offset: offset)
        records.append((StoredRecord(node: node, position: position, kind: write.kind, term: write.term, time: write.time, payload: write.payload), now))
        return position
    }
}
