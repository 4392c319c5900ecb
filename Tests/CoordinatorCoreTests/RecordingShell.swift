import CoordinatorCore

/// A shell for core tests: every write is durable at once and kept as the store would keep it
/// (one file per node, positions in write order); deliveries are collected.
struct RecordingShell {
    let me: String
    var records: [StoredRecord] = []
    var attempts: [NotificationAttempt] = []

    init(me: String = "n1") {
        self.me = me
    }

    /// Carries out `actions`, reporting every write durable at once (and what that leads to).
    mutating func run(_ actions: [NodeAction], on core: inout NodeCore, at now: NodeNow) {
        for action in actions {
            switch action {
            case .write(let ticket, let write):
                let position = LogPosition(segment: 1, offset: records.count)
                records.append(StoredRecord(node: me, position: position, kind: write.kind, term: write.term, time: write.time, payload: write.payload))
                run(core.written(ticket, at: position, now: now).actions, on: &core, at: now)
            case .deliver(let attempt):
                attempts.append(attempt)
            default:
                break
            }
        }
    }

    /// Carries out a request's step; returns the answer (at once, or once its write is durable).
    @discardableResult
    mutating func submit(_ step: NodeStep, on core: inout NodeCore, at now: NodeNow) -> NodeAnswer? {
        switch step {
        case .done(let answer, let actions):
            run(actions, on: &core, at: now)
            return answer
        case .write(let ticket, let write):
            let position = LogPosition(segment: 1, offset: records.count)
            records.append(StoredRecord(node: me, position: position, kind: write.kind, term: write.term, time: write.time, payload: write.payload))
            let (answer, actions) = core.written(ticket, at: position, now: now)
            run(actions, on: &core, at: now)
            return answer
        default:
            return nil
        }
    }

    /// Ticks every `step` ms from `from` to `to` (the store read to its end at each), finishing
    /// every sweep.
    mutating func tick(_ core: inout NodeCore, from: Int64, to: Int64, step: Int64 = 250, alive: Set<String>, at: (Int64) -> NodeNow) {
        var t = from
        while t <= to {
            core.noteStoreRead(at: JudgeTime(ms: t))
            run(core.tick(now: at(t), alive: alive, synced: true), on: &core, at: at(t))
            while core.sweepPending { run(core.continueSweep(now: at(t)), on: &core, at: at(t)) }
            t += step
        }
    }
}

/// What `GET /api/v1/executions/{id}` shows of a record, but for ages.
struct Shown: Equatable, CustomStringConvertible {
    var status: ExecutionStatus
    var registeredAtMs: Int64
    var containerID: String
    var lastHeartbeatMs: Int64?
    var heartbeatCount: UInt32
    var clientTimestamp: Int64?
    var apparentSkewMs: Int64?
    var progress: [UInt8]?
    var strikes: UInt8
    var terminal: TerminalInfo?

    init(_ record: ExecutionRecord) {
        status = record.status
        registeredAtMs = record.registeredAtMs
        containerID = record.containerID
        lastHeartbeatMs = record.lastHeartbeatMs
        heartbeatCount = record.heartbeatCount
        clientTimestamp = record.clientTimestamp
        apparentSkewMs = record.apparentSkewMs
        progress = record.progress?.compact
        strikes = record.strikes
        terminal = record.terminal
    }

    var description: String {
        "\(status) registered \(registeredAtMs) container \(containerID) last \(lastHeartbeatMs.map(String.init) ?? "never") count \(heartbeatCount) "
            + "client \(clientTimestamp.map(String.init) ?? "-") progress \(progress.map { String(decoding: $0, as: UTF8.self) } ?? "-") strikes \(strikes) "
            + "by \(terminal.map { "\($0.source) at \($0.finishedAtMs)" } ?? "-")"
    }
}
