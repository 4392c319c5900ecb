import Foundation
import Synchronization

/// Durable appends with group commit: callers enqueue records; one dedicated thread writes
/// everything queued with one `write` and one `fsync`, then resumes every caller.
///
/// The thread is separate from Swift Concurrency's pool on purpose: `fsync` blocks for
/// milliseconds, and blocking the cooperative pool (or an event loop) would stall the node.
///
/// A failed append may have reached the file (see ``SegmentWriter``): the writer re-reads its
/// tail before the callers hear of the failure, and the records it finds there wait in
/// ``takeLanded()`` for the node to apply. Until they are taken no snapshot is written (a
/// snapshot must hold everything before it that the node's files hold). An append its caller
/// stopped waiting for (the node's store deadline) is not abandoned: the thread stays in the call,
/// and its outcome, success or failure, is handled as any other.
final class GroupCommitter: @unchecked Sendable {
    private struct Pending {
        var records: [[UInt8]]
        var continuation: CheckedContinuation<[StoreAppendResult], any Error>
        var firstSequence: UInt64
        /// Start a new segment after this batch (snapshots: older segments become deletable).
        var rotateAfter = false
    }

    private let writer: SegmentWriter
    /// Guards the queue, `closed` and `thread`; the thread waits on it for work, closers for the
    /// thread's end (`thread == nil`).
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var closed = false
    private var thread: Thread?
    /// Records that reached the file although their append was reported failed, not yet taken.
    private var landed: [StoreRecord] = []
    private let node: String
    private let onBatch: @Sendable (Int) -> Void
    private let onRotationFailure: @Sendable (StoreError) -> Void
    private let onLanded: @Sendable (_ records: Int, _ cutBytes: Int) -> Void

    init(
        writer: SegmentWriter, node: String, onBatch: @escaping @Sendable (Int) -> Void = { _ in },
        onRotationFailure: @escaping @Sendable (StoreError) -> Void = { _ in },
        onLanded: @escaping @Sendable (_ records: Int, _ cutBytes: Int) -> Void = { _, _ in }
    ) {
        self.writer = writer
        self.node = node
        self.onBatch = onBatch
        self.onRotationFailure = onRotationFailure
        self.onLanded = onLanded
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "vigil-store-\(node)"
        self.thread = thread
        thread.start()
    }

    /// Appends records (written contiguously, in order); returns once they are durable.
    func append(_ entries: [StoreEntry], rotateAfter: Bool = false) async throws -> [StoreAppendResult] {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !closed else {
                continuation.resume(throwing: StoreError(code: .closed, path: writer.directory, detail: "the store is closed"))
                return
            }
            var framed: [[UInt8]] = []
            framed.reserveCapacity(entries.count)
            let first = writer.nextSequence
            do {
                for entry in entries {
                    framed.append(try RecordFormat.encode(
                        node: writer.node, sequence: first + UInt64(framed.count), type: entry.type, term: entry.term,
                        timeMs: entry.timeMs, payload: entry.payload
                    ))
                }
            } catch {
                continuation.resume(throwing: error)
                return
            }
            for _ in entries { _ = writer.takeSequence() }
            queue.append(Pending(records: framed, continuation: continuation, firstSequence: first, rotateAfter: rotateAfter))
            // Broadcast: closers wait on the same condition, and a signal could wake one of them instead.
            condition.broadcast()
        }
    }

    /// fsyncs issued so far (written only by the committer thread; read for metrics and benchmarks).
    var fsyncCount: Int { fsyncs.withLock { $0 } }
    private let fsyncs = Mutex(0)

    var nextSequence: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return writer.nextSequence
    }

    /// Records that reached the file although their append was reported failed, oldest first;
    /// each is returned once.
    func takeLanded() -> [StoreRecord] {
        condition.lock()
        defer { condition.unlock() }
        defer { landed = [] }
        return landed
    }

    /// Test-only: faults the next writes show.
    func inject(_ faults: InjectedFaults) {
        writer.faults.withLock {
            $0.writes += faults.writes
            $0.failingTailReads += faults.failingTailReads
        }
    }

    /// Finishes what is queued, then stops the thread; returns once the thread has written and
    /// answered everything queued before it (it waits on the condition the thread broadcasts as
    /// it ends). Later appends fail with `.closed`. Must not be called from the committer thread.
    func close() {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        while thread != nil { condition.wait() }
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed {
                thread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            commit(batch)
        }
    }

    /// Writes one batch and resumes its callers; a snapshot waits while landed records do.
    private func commit(_ batch: [Pending]) {
        var batch = batch
        do {
            if writer.tailUnsettled { try writer.settleTail() }
        } catch {
            publishLanded()
            return fail(batch, error)
        }
        if publishLanded(), batch.contains(where: \.rotateAfter) {
            fail(batch.filter(\.rotateAfter), StoreError(
                code: .io, path: writer.directory,
                detail: "records that reached the file although their append was reported failed are not applied yet; the snapshot waits for them"
            ))
            batch.removeAll(where: \.rotateAfter)
            if batch.isEmpty { return }
        }
        do {
            let records = batch.flatMap(\.records)
            let last = batch[batch.count - 1]
            let rotationFailuresBefore = writer.rotationFailures
            let following = last.firstSequence + UInt64(last.records.count)
            var positions = try writer.write(records, first: batch[0].firstSequence, following: following)[...]
            if batch.contains(where: \.rotateAfter), writer.size > 0 { writer.rotateIfPossible(first: following) }
            fsyncs.withLock { $0 += 1 }
            if writer.rotationFailures > rotationFailuresBefore, let error = writer.lastRotationError { onRotationFailure(error) }
            onBatch(records.count)
            for pending in batch {
                let mine = positions.prefix(pending.records.count)
                positions = positions.dropFirst(pending.records.count)
                pending.continuation.resume(returning: mine.enumerated().map {
                    StoreAppendResult(sequence: pending.firstSequence + UInt64($0.offset), position: $0.element)
                })
            }
        } catch {
            // What landed is known before anyone hears of the failure.
            publishLanded()
            fail(batch, error)
        }
    }

    private func fail(_ batch: [Pending], _ error: any Error) {
        for pending in batch { pending.continuation.resume(throwing: error) }
    }

    /// Moves what the writer's tail re-read kept to ``takeLanded()``; returns whether any
    /// landed record is waiting to be taken.
    @discardableResult
    private func publishLanded() -> Bool {
        let found = writer.takeLanded()
        let cut = writer.cutBytes
        if !found.isEmpty || cut > reportedCut { onLanded(found.count, cut - reportedCut) }
        reportedCut = cut
        condition.lock()
        defer { condition.unlock() }
        landed += found
        return !landed.isEmpty
    }
    /// Cut bytes already reported (written only by the committer thread).
    private var reportedCut = 0
}

/// Where an appended record landed.
public struct StoreAppendResult: Sendable, Equatable {
    public var sequence: UInt64
    public var position: StorePosition
}

/// One record to append.
public struct StoreEntry: Sendable {
    public var type: RecordType
    public var term: UInt64
    public var timeMs: Int64
    public var payload: [UInt8]

    public init(_ type: RecordType, term: UInt64 = 0, timeMs: Int64, payload: [UInt8]) {
        self.type = type
        self.term = term
        self.timeMs = timeMs
        self.payload = payload
    }
}
