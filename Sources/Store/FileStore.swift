import Logging
import Metrics
import Synchronization

/// The shared append-only file store, as one node uses it: appends go to the node's own files
/// (`<root>/<node>/<first-sequence>.log`), durable before `append` returns; reads see every
/// node's files.
///
/// Guarantees:
/// - `append` returns only after the record and (for a new segment) its directory entry are
///   fsynced;
/// - a failed append throws, but its records may have reached the file all the same (a network
///   filesystem can report a write failed after the data arrived): before the caller hears of
///   the failure the writer re-reads its tail, keeps the whole records that landed, truncates a
///   torn one, and writes nothing more until it has done so; the records kept are handed out
///   once by ``takeLanded()`` (every reader sees them, so the node must apply them too);
/// - sequence numbers only grow within a node's files (a failed append may leave a gap);
/// - concurrent appends share one write and one fsync (group commit);
/// - at open, a torn tail of the node's newest segment is truncated back to the last whole record;
/// - damage anywhere else is skipped and reported by readers, never stops a replay.
public final class FileStore: Sendable {
    public let root: String
    public let node: String
    public let reader: StoreReader
    private let committer: GroupCommitter
    /// What start-up repair cut off the node's newest segment, if anything.
    public let repairedTail: StoreDamage?

    /// Opens (creating if needed) the node's part of the store at `root`.
    public init(root: String, node: String, segmentBytes: Int = 64 << 20, logger: Logger? = nil) throws(StoreError) {
        guard !node.isEmpty, node.utf8.count <= 64, !node.contains("/"), !node.hasPrefix(".") else {
            throw StoreError(code: .invalidLayout, path: root, detail: "node id \"\(node)\" cannot name a store directory")
        }
        self.root = root
        self.node = node
        self.reader = StoreReader(root: root)
        let writer = try SegmentWriter(directory: root + "/" + node, node: node, segmentBytes: segmentBytes)
        self.repairedTail = writer.repairedTail
        if let repaired = writer.repairedTail {
            logger?.warning("Store repaired a torn tail", metadata: ["store.damage": "\(repaired)"])
        }
        let metrics = StoreMetrics()
        let failures = rotationFailureCount
        self.committer = GroupCommitter(
            writer: writer, node: node, onBatch: { records in metrics.recordBatch(records) },
            onRotationFailure: { error in
                metrics.rotationFailures.increment()
                failures.count.withLock { $0 += 1 }
                logger?.error("Store could not start a new segment; appends go on in the current one", metadata: ["error": "\(error)"])
            },
            onLanded: { records, cutBytes in
                metrics.landedAfterFailure.increment(by: records)
                logger?.warning("Store re-read its tail after a failed append", metadata: [
                    "store.records_landed": "\(records)", "store.bytes_truncated": "\(cutBytes)",
                ])
            }
        )
    }

    /// Records that reached this node's files although their append was reported failed (the
    /// writer found them when it re-read its tail after the failure), oldest first; each is
    /// returned once. Peers read them, and so will this node's next start: the node applies
    /// them now. No snapshot is written while some wait here.
    public func takeLanded() -> [StoreRecord] {
        committer.takeLanded()
    }

    /// Test-only: faults the next writes show (a write reported failed after it landed, …).
    func inject(_ faults: InjectedFaults) {
        committer.inject(faults)
    }

    /// Appends one record; returns once it is durable.
    public func append(_ type: RecordType, term: UInt64 = 0, timeMs: Int64, payload: [UInt8]) async throws -> StoreAppendResult {
        try await committer.append([StoreEntry(type, term: term, timeMs: timeMs, payload: payload)])[0]
    }

    /// Appends several records contiguously with one fsync; returns once all are durable.
    public func append(_ entries: [StoreEntry]) async throws -> [StoreAppendResult] {
        guard !entries.isEmpty else { return [] }
        return try await committer.append(entries)
    }

    /// Segment rotations that failed so far (appends went on in the current segment).
    public var rotationFailures: Int { rotationFailureCount.count.withLock { $0 } }
    private let rotationFailureCount = SharedCount()

    /// fsyncs issued by this node's writer so far.
    public var fsyncCount: Int { committer.fsyncCount }

    /// The sequence number the next append will get.
    public var nextSequence: UInt64 { committer.nextSequence }

    /// Stops accepting appends after finishing those queued.
    public func close() {
        committer.close()
    }

    /// Writes a snapshot of the node's derived `state`, which covers every record before
    /// `cursor`, and makes it the one a restart starts from. The segment is closed after it, so
    /// everything before the snapshot can be deleted once every node's snapshot has passed it.
    @discardableResult
    public func writeSnapshot(state: [UInt8], cursor: StoreCursor, term: UInt64 = 0, timeMs: Int64) async throws -> StoreAppendResult {
        let result = try await appendSnapshot(state: state, cursor: cursor, term: term, timeMs: timeMs)
        try makeCurrent(snapshot: result)
        return result
    }

    /// The first half of ``writeSnapshot(state:cursor:term:timeMs:)``: appends the snapshot
    /// record (durable, on the store's writer thread) and closes the segment after it.
    public func appendSnapshot(state: [UInt8], cursor: StoreCursor, term: UInt64 = 0, timeMs: Int64) async throws -> StoreAppendResult {
        try await committer.append([StoreEntry(.snapshot, term: term, timeMs: timeMs, payload: cursor.encoded + state)], rotateAfter: true)[0]
    }

    /// The second half: points the node's snapshot index at `snapshot` (a small file written,
    /// fsynced and renamed into place; this blocks, so call it where blocking is allowed).
    public func makeCurrent(snapshot: StoreAppendResult) throws(StoreError) {
        try SnapshotIndex.write(snapshot.position, directory: root + "/" + node)
    }

    /// The newest snapshot of `node` (default: this node): its state and the cursor it covers.
    public func latestSnapshot(of node: String? = nil) throws(StoreError) -> (state: [UInt8], cursor: StoreCursor)? {
        let node = node ?? self.node
        guard let position = try SnapshotIndex.read(directory: root + "/" + node) else { return nil }
        let scan = try reader.scan(node: node, segment: position.segment, from: position.offset)
        guard let record = scan.records.first, record.position == position, record.type == .snapshot else {
            throw StoreError(code: .corrupt, path: reader.path(node: node, segment: position.segment), detail: "snapshot index points at \(position), which is not a snapshot record")
        }
        let (cursor, used) = try StoreCursor.decode(record.payload)
        return (Array(record.payload[used...]), cursor)
    }

    /// Start-up in one call: the newest snapshot (if any) and every record after it, from all
    /// nodes. Snapshot records themselves are not returned.
    public func restore() throws(StoreError) -> (snapshot: [UInt8]?, records: [StoreRecord], damages: [StoreDamage], cursor: StoreCursor) {
        let snapshot = try latestSnapshot()
        let replay = try reader.replay(from: snapshot?.cursor ?? StoreCursor())
        return (snapshot?.state, replay.records.filter { $0.type != .snapshot }, replay.damages, replay.cursor)
    }

    /// Retention: deletes this node's segments that every node's newest snapshot has moved past
    /// and that were last written before `olderThanUnixMs` (history stays readable that long).
    /// Nothing is deleted while any node with files in the store has no snapshot.
    /// - Returns: the deleted files.
    @discardableResult
    public func deleteCoveredSegments(olderThanUnixMs: Int64 = .max) throws(StoreError) -> [String] {
        var limit: StorePosition?
        for other in try reader.nodes() {
            guard let snapshot = try latestSnapshot(of: other), let position = snapshot.cursor.positions[node] else { return [] }
            limit = limit.map { min($0, position) } ?? position
        }
        guard let limit else { return [] }
        let segments = try reader.segments(of: node)
        var deleted: [String] = []
        for (i, segment) in segments.enumerated() where i + 1 < segments.count && segments[i + 1] <= limit.segment {
            let path = reader.path(node: node, segment: segment)
            guard POSIXFile.modifiedUnixMs(path).map({ $0 < olderThanUnixMs }) ?? false else { continue }
            try POSIXFile.remove(path)
            deleted.append(path)
        }
        if !deleted.isEmpty { try POSIXFile.fsyncDirectory(root + "/" + node) }
        return deleted
    }
}

/// The store's metrics, created once per store.
struct StoreMetrics: Sendable {
    let appended = Counter(label: "vigil_store_records_appended_total")
    let fsyncs = Counter(label: "vigil_store_fsyncs_total")
    let batchSize = Recorder(label: "vigil_store_batch_records")
    let rotationFailures = Counter(label: "vigil_store_rotation_failures_total")
    /// Records found in the file after their append was reported failed.
    let landedAfterFailure = Counter(label: "vigil_store_records_landed_after_failure_total")

    func recordBatch(_ records: Int) {
        appended.increment(by: records)
        fsyncs.increment()
        batchSize.record(records)
    }
}

/// A count shared with the committer thread's callbacks.
final class SharedCount: Sendable {
    let count = Mutex(0)
}
