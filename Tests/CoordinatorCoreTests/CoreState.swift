import CoordinatorCore
import Testing

/// Everything a node core holds that a store record can change, compared whole: the snapshot
/// (facts, strikes, claims, releases, marks, pause, outbox, services, keyring), every execution
/// record in full, the judge times of strikes, the sweep status, the outbox's owed and finished
/// deliveries and the writes in flight. Not the read cut (how far each peer's files were read):
/// reading a copy further on moves it, as reading any record does; that is position, not state.
struct CoreState: Equatable {
    var snapshot: NodeSnapshot?
    var records: [ExecutionRecord]
    var strikeLearned: [ExecutionID: JudgeTime]
    var status: SweepStatus
    var pending: [Outbox.Pending]
    var finished: [Outbox.Finished]
    var keyring: [KeyringBook.Key]
    var writesInFlight: Int
    var storeReadThrough: JudgeTime?

    init(_ core: NodeCore) {
        var snapshot = core.snapshot(generation: 0)
        snapshot?.facts.sort { ($0.executionID, $0.kind.rawValue) < ($1.executionID, $1.kind.rawValue) }
        snapshot?.readCut = [:]
        snapshot?.releases.sort { ($0.term, $0.node) < ($1.term, $1.node) }  // from a set: any order
        self.snapshot = snapshot
        records = core.table.allRecords.sorted { $0.id < $1.id }
        strikeLearned = core.table.strikeLearned
        status = core.status
        pending = core.outbox.pendingList
        finished = core.outbox.history
        keyring = core.keyring.keys
        writesInFlight = core.writesInFlight
        storeReadThrough = core.storeReadThrough
    }
}

extension NodeCore {
    /// Reports every write in `actions` durable at once (and what those lead to), so the core
    /// has nothing in flight.
    mutating func settleWrites(_ actions: [NodeAction], at now: NodeNow) {
        var offset = 1_000
        for case .write(let ticket, _) in actions {
            offset += 1
            settleWrites(written(ticket, at: LogPosition(segment: 9, offset: offset), now: now).actions, at: now)
        }
    }
}
