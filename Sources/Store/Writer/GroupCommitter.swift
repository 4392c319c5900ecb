import Foundation
import Synchronization

/// Durable appends with group commit: callers enqueue records; one dedicated thread writes
/// everything queued with one `write` and one `fsync`, then resumes every caller.
///
/// The thread is separate from Swift Concurrency's pool on purpose: `fsync` blocks for
/// milliseconds, and blocking the cooperative pool (or an event loop) would stall the node.
final class GroupCommitter: @unchecked Sendable {
    private struct Pending {
        var bytes: [UInt8]
        var continuation: CheckedContinuation<StoreAppendResult, any Error>
        var sequence: UInt64
    }

    private let writer: SegmentWriter
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var closed = false
    private var thread: Thread?
    private let node: String
    private let onBatch: @Sendable (Int) -> Void

    init(writer: SegmentWriter, node: String, onBatch: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.writer = writer
        self.node = node
        self.onBatch = onBatch
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "vigil-store-\(node)"
        self.thread = thread
        thread.start()
    }

    /// Appends one record; returns once it is durable.
    func append(type: RecordType, term: UInt64, timeMs: Int64, payload: [UInt8]) async throws -> StoreAppendResult {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !closed else {
                continuation.resume(throwing: StoreError(code: .closed, path: writer.directory, detail: "the store is closed"))
                return
            }
            let sequence = writer.takeSequence()
            do {
                let bytes = try RecordFormat.encode(node: writer.node, sequence: sequence, type: type, term: term, timeMs: timeMs, payload: payload)
                queue.append(Pending(bytes: bytes, continuation: continuation, sequence: sequence))
                condition.signal()
            } catch {
                continuation.resume(throwing: error)
            }
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

    /// Finishes what is queued, then stops the thread. Later appends fail with `.closed`.
    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
        while true {
            condition.lock()
            let done = thread == nil
            condition.unlock()
            if done { return }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed {
                thread = nil
                condition.unlock()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()

            do {
                let positions = try writer.write(batch.map(\.bytes), following: batch[batch.count - 1].sequence + 1)
                fsyncs.withLock { $0 += 1 }
                onBatch(batch.count)
                for (pending, position) in zip(batch, positions) {
                    pending.continuation.resume(returning: StoreAppendResult(sequence: pending.sequence, position: position))
                }
            } catch {
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }
}

/// Where an appended record landed.
public struct StoreAppendResult: Sendable, Equatable {
    public var sequence: UInt64
    public var position: StorePosition
}
