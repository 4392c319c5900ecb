import CoordinatorCore
import VigilJSON
import Testing
import VigilCodec

@Suite struct ExecutionTableTests {
    let a = ExecutionID("550e8400-e29b-41d4-a716-446655440000")!
    let b = ExecutionID("650e8400-e29b-41d4-a716-446655440000")!

    func beat(_ id: ExecutionID, _ status: ExecutionStatus = .running, progress: Progress? = nil, ts: Int64 = 1_640_995_200) -> Heartbeat {
        Heartbeat(executionID: id, containerID: "c-\(id.description.prefix(4))", clientTimestamp: ts, status: status, progress: progress)
    }

    @Test func firstHeartbeatRegistersAndLaterOnesRefresh() throws {
        var table = ExecutionTable()
        #expect(table.apply(beat(a), nowMs: 1_000) == .success(.registered))
        #expect(table.apply(beat(a, ts: 1_640_995_230), nowMs: 31_000) == .success(.refreshed))
        let record = try #require(table[a])
        #expect(record.registeredAtMs == 1_000)
        #expect(record.lastHeartbeatMs == 31_000)
        #expect(record.clientTimestamp == 1_640_995_230)
        #expect(record.heartbeatCount == 2)
        #expect(record.status == .running)
        #expect(table.counts.running == 1)
        #expect(table.checkInvariants())
    }

    @Test func progressIsKeptWhenAHeartbeatOmitsIt() throws {
        var table = ExecutionTable()
        let progress = try Progress(validating: ["percentage": .double(10)])
        _ = table.apply(beat(a, progress: progress), nowMs: 1)
        _ = table.apply(beat(a), nowMs: 2)
        #expect(table[a]?.progress?.percentage == 10)
        let empty = try Progress(validating: [:])
        _ = table.apply(beat(a, progress: empty), nowMs: 3)
        #expect(table[a]?.progress?.percentage == nil)
    }

    @Test func terminalIsFinal() {
        var table = ExecutionTable()
        _ = table.apply(beat(a), nowMs: 1)
        #expect(table.apply(Completion(executionID: a, containerID: "c", success: true), nowMs: 2) == .success(.recorded))
        let before = table[a]
        let conflict = table.apply(beat(a), nowMs: 3)
        #expect(conflict == .failure(ExecutionConflict(executionID: a, status: .completed, attempted: "heartbeat")))
        #expect(table.apply(Completion(executionID: a, containerID: "c", success: false), nowMs: 4).isFailure)
        #expect(table.apply(Registration(executionID: a), nowMs: 5).isFailure)
        #expect(table[a] == before)
        // The same outcome again is idempotent.
        #expect(table.apply(Completion(executionID: a, containerID: "c", success: true), nowMs: 6) == .success(.unchanged))
        #expect(table.apply(beat(a, .completed), nowMs: 7) == .success(.alreadyFinished))
        #expect(table[a] == before)
        #expect(table.checkInvariants())
    }

    @Test func completionAfterTerminalHeartbeatKeepsTheNoticesDetails() throws {
        var table = ExecutionTable()
        _ = table.apply(beat(a), nowMs: 1)
        #expect(table.apply(beat(a, .failed), nowMs: 2) == .success(.finished(.failed)))
        let outcome = table.apply(Completion(executionID: a, containerID: "c", success: false, errorMessage: "模拟任务执行错误"), nowMs: 3)
        #expect(outcome == .success(.unchanged))
        let terminal = try #require(table[a]?.terminal)
        #expect(terminal.source == .completion)
        #expect(terminal.errorMessage == "模拟任务执行错误")
        #expect(terminal.finishedAtMs == 2)
        #expect(table.counts.failed == 1)
    }

    @Test func completionOfAnUnknownExecutionRecordsIt() {
        var table = ExecutionTable()
        #expect(table.apply(Completion(executionID: b, containerID: "c", success: true), nowMs: 9) == .success(.recorded))
        #expect(table[b]?.status == .completed)
        #expect(table[b]?.lastHeartbeatMs == nil)
        #expect(table.checkInvariants())
    }

    @Test func registrationBeforeFirstHeartbeat() {
        var table = ExecutionTable()
        #expect(table.apply(Registration(executionID: a, containerID: "c1", startedAtMs: 500), nowMs: 1_000) == .success(.recorded))
        #expect(table[a]?.registeredAtMs == 500)
        #expect(table[a]?.lastHeartbeatMs == nil)
        #expect(table.apply(Registration(executionID: a), nowMs: 2_000) == .success(.unchanged))
        #expect(table.apply(beat(a), nowMs: 3_000) == .success(.refreshed))
        #expect(table[a]?.registeredAtMs == 500)
    }

    @Test func pagesInIdOrderWithStatusFilter() {
        var table = ExecutionTable()
        var ids: [ExecutionID] = []
        for i in 0..<25 {
            let id = ExecutionID(high: UInt64(i * 7919 % 25), low: 1)
            ids.append(id)
            _ = table.apply(beat(id), nowMs: Int64(i))
            if i % 5 == 0 { _ = table.apply(Completion(executionID: id, containerID: "c", success: true), nowMs: 100) }
        }
        var seen: [ExecutionID] = []
        var cursor: ExecutionID?
        repeat {
            let page = table.page(status: nil, after: cursor, limit: 7)
            #expect(page.records.count <= 7)
            seen += page.records.map(\.id)
            cursor = page.next
        } while cursor != nil
        #expect(seen == ids.sorted())
        let completed = table.page(status: .completed, after: nil, limit: 100)
        #expect(completed.records.count == 5)
        #expect(completed.next == nil)
        #expect(completed.records.allSatisfy { $0.status == .completed })
    }

    @Test func expiresOnlyFinishedExecutionsPastRetention() {
        var table = ExecutionTable()
        _ = table.apply(beat(a), nowMs: 0)
        _ = table.apply(beat(b), nowMs: 0)
        _ = table.apply(Completion(executionID: b, containerID: "c", success: true), nowMs: 1_000)
        #expect(table.expireFinished(olderThan: 5_000, nowMs: 5_999).isEmpty)
        #expect(table.expireFinished(olderThan: 5_000, nowMs: 6_001).count == 1)
        #expect(table[b] == nil)
        #expect(table[a] != nil)
        #expect(table.counts == { var c = StatusCounts(); c.running = 1; return c }())
        #expect(table.checkInvariants())
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

extension ExecutionTableTests {
    /// The packed storage and its slot index stay consistent through inserts, replacements and
    /// removals in random order (checked against a Dictionary), seeded.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func recordStorageMatchesADictionary(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var table = ExecutionTable()
        var expected: [ExecutionID: Int64] = [:]
        for step in 0..<20_000 {
            let id = ExecutionID(high: UInt64.random(in: 0..<3, using: &rng), low: UInt64.random(in: 0..<2_000, using: &rng))
            if Bool.random(using: &rng) || expected[id] == nil {
                _ = table.apply(Heartbeat(executionID: id, containerID: "c\(step)", clientTimestamp: 1), nowMs: Int64(step))
                if expected[id] == nil { expected[id] = Int64(step) }
            } else {
                _ = table.apply(Completion(executionID: id, containerID: "c", success: true), nowMs: Int64(step))
                _ = table.expireFinished(olderThan: 0, nowMs: Int64(step) + 1)
                expected[id] = nil
            }
        }
        #expect(table.count == expected.count)
        for (id, registered) in expected { #expect(table[id]?.registeredAtMs == registered) }
        #expect(table[ExecutionID(high: 9, low: 9)] == nil)
        #expect(table.checkInvariants())
    }
}
