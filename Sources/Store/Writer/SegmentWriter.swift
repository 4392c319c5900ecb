import Glibc
import Synchronization

/// Appends to one node's own segment files. Used from a single thread (the group committer's).
///
/// At open it repairs the newest segment: a torn tail (bytes after the last whole record that
/// do not form a record) is truncated away, and the next sequence number continues from the
/// last record found.
///
/// A failed append is *ambiguous*: a network filesystem (GlusterFS, NFS) may answer a write or
/// an fsync with an error (ENOTCONN, EIO, a timeout) after the bytes reached the file. So after
/// a failed append the writer assumes nothing. Before it writes again it re-reads its segment
/// from the end of the last record it knows durable (``settleTail()``): whole records found there
/// are kept and made durable with a new fsync, a torn partial record after them is truncated
/// away, and writing resumes after what was kept. It tries this at once after the failure and,
/// while the filesystem keeps failing, before every later write, which is not attempted until
/// the tail is settled. It re-reads rather than cutting back or moving to a new segment, because:
/// - a whole record that landed may already have been read, and applied, by a peer following
///   the file; cutting it away would leave that peer holding a fact the file no longer has, and
///   its read position in the middle of whatever is written next;
/// - a new segment would leave the torn part at the end of a closed segment, damage that every
///   reader reports for as long as the segment lives (and a flapping mount would make many
///   small segments);
/// - sequence numbers are taken when records are queued, so a kept record already has a number
///   below every record written after it: the numbering continues after it, and nothing is
///   numbered twice (a record cut away leaves a gap, which readers allow).
///
/// Records kept although their append was reported failed are handed out by ``takeLanded()``
/// so the node can apply them, as its peers and its own next start will.
final class SegmentWriter {
    let directory: String
    let nodeID: String
    let node: [UInt8]
    let segmentBytes: Int
    private(set) var segment: UInt64
    private(set) var size: Int
    private(set) var nextSequence: UInt64
    private(set) var fsyncCount = 0
    /// Rotations that failed (the records were durable; writing went on in the current segment).
    private(set) var rotationFailures = 0
    private(set) var lastRotationError: StoreError?
    /// An append failed and the tail has not been re-read since: whether its bytes are in the
    /// file is not known, so nothing is written until ``settleTail()`` succeeds.
    private(set) var tailUnsettled = false
    /// Records found by ``settleTail()``: in the file although their append was reported failed.
    private var landed: [StoreRecord] = []
    /// Bytes of torn records ``settleTail()`` cut away, in all.
    private(set) var cutBytes = 0
    /// Faults a test asked for (never set otherwise).
    let faults = Mutex(InjectedFaults())
    private var fd: Int32
    /// What start-up repair did, for the log.
    private(set) var repairedTail: StoreDamage?

    var currentPath: String { directory + "/" + SegmentName.fileName(segment) }

    init(directory: String, node: String, segmentBytes: Int) throws(StoreError) {
        self.directory = directory
        self.nodeID = node
        self.node = Array(node.utf8)
        self.segmentBytes = segmentBytes
        try POSIXFile.makeDirectories(directory)
        let segments = (try POSIXFile.list(directory) ?? []).compactMap(SegmentName.parse).sorted()
        if let last = segments.last {
            let path = directory + "/" + SegmentName.fileName(last)
            let bytes = try POSIXFile.read(path: path)
            let scan = SegmentScanner(path: path, node: node, segment: last).scan(bytes, decodePayloads: false)
            fd = try POSIXFile.open(path, flags: O_WRONLY)
            segment = last
            if scan.hasTail {
                repairedTail = StoreDamage(path: path, offset: scan.validEnd, length: scan.tailLength, reason: "torn tail truncated: \(scan.tailReason ?? "")")
                try POSIXFile.truncate(fd, to: scan.validEnd, path: path)
                try POSIXFile.fsync(fd, path: path)
            }
            try POSIXFile.seekToEnd(fd, path: path)
            size = scan.validEnd
            nextSequence = (scan.records.last?.sequence).map { $0 + 1 } ?? last
        } else {
            segment = 1
            size = 0
            nextSequence = 1
            fd = -1
            fd = try createSegment(first: 1)
        }
    }

    deinit { POSIXFile.close(fd) }

    private func createSegment(first: UInt64) throws(StoreError) -> Int32 {
        let path = directory + "/" + SegmentName.fileName(first)
        let fd = try POSIXFile.open(path, flags: O_WRONLY | O_CREAT | O_EXCL)
        do {
            try POSIXFile.fsyncDirectory(directory)
        } catch {
            POSIXFile.close(fd)
            throw error
        }
        return fd
    }

    /// Takes the next sequence number (called in append order, under the committer's lock).
    func takeSequence() -> UInt64 {
        defer { nextSequence += 1 }
        return nextSequence
    }

    /// Writes `records` (already framed; the first numbered `first`) with one write and one
    /// fsync, after settling the tail if an earlier append failed. When the write fails, the
    /// tail is re-read at once (see the type's comment) and the error thrown.
    /// - Parameter following: the sequence number after the batch's last record (names the next
    ///   segment if this write fills the current one).
    /// - Returns: the position of each record.
    func write(_ records: [[UInt8]], first: UInt64, following: UInt64) throws(StoreError) -> [StorePosition] {
        if tailUnsettled { try settleTail() }
        // A rotation that failed after an earlier write is tried again first.
        if size >= segmentBytes { rotateIfPossible(first: first) }
        var batch: [UInt8] = []
        batch.reserveCapacity(records.reduce(0) { $0 + $1.count })
        var positions: [StorePosition] = []
        positions.reserveCapacity(records.count)
        for record in records {
            positions.append(StorePosition(segment: segment, offset: size + batch.count))
            batch.append(contentsOf: record)
        }
        do {
            try writeAndSync(batch, path: currentPath)
        } catch {
            // The bytes may be in the file all the same: find out before anything else is written.
            tailUnsettled = true
            try? settleTail()
            throw error
        }
        fsyncCount += 1
        size += batch.count
        // The batch is durable: whatever happens to the rotation, the caller is told so.
        if size >= segmentBytes { rotateIfPossible(first: following) }
        return positions
    }

    private func writeAndSync(_ batch: [UInt8], path: String) throws(StoreError) {
        let fault = faults.withLock { $0.writes.isEmpty ? nil : $0.writes.removeFirst() }
        switch fault {
        case nil:
            try POSIXFile.writeAll(fd, batch, path: path)
            try POSIXFile.fsync(fd, path: path)
        case .landThenFail, .landTwiceThenFail:
            try POSIXFile.writeAll(fd, batch, path: path)
            if fault == .landTwiceThenFail { try POSIXFile.writeAll(fd, batch, path: path) }
            try POSIXFile.fsync(fd, path: path)
            throw InjectedFaults.error("fsync", path: path)
        case .tearThenFail(let bytes):
            try POSIXFile.writeAll(fd, Array(batch.prefix(bytes)), path: path)
            throw InjectedFaults.error("write", path: path)
        }
    }

    /// Re-reads the current segment from the end of the last record known durable: keeps the
    /// whole records found there (fsynced again), truncates a torn record after them, and
    /// positions the next write after what was kept. Damage between whole records (not
    /// something one write makes) is kept too, for readers to skip and report: no whole record
    /// is ever cut away. Throws (and stays unsettled) when the file cannot be read or fixed.
    func settleTail() throws(StoreError) {
        let path = currentPath
        let unreachable = faults.withLock { faults -> Bool in
            guard faults.failingTailReads > 0 else { return false }
            faults.failingTailReads -= 1
            return true
        }
        if unreachable { throw InjectedFaults.error("read", path: path) }
        let bytes = try POSIXFile.read(path: path, from: size)
        let scan = SegmentScanner(path: path, node: nodeID, segment: segment).scan(bytes, base: size)
        if scan.hasTail { try POSIXFile.truncate(fd, to: scan.validEnd, path: path) }
        if !bytes.isEmpty {
            try POSIXFile.fsync(fd, path: path)
            fsyncCount += 1
        }
        try POSIXFile.seek(fd, to: scan.validEnd, path: path)
        landed += scan.records
        cutBytes += scan.tailLength
        size = scan.validEnd
        tailUnsettled = false
    }

    /// The records ``settleTail()`` kept since the last call, oldest first.
    func takeLanded() -> [StoreRecord] {
        defer { landed = [] }
        return landed
    }

    /// Starts the next segment; when that fails (the directory is full or read-only, a name is
    /// taken), writing goes on in the current segment and the next write tries again.
    func rotateIfPossible(first: UInt64) {
        do {
            try rotate(first: first)
            lastRotationError = nil
        } catch {
            rotationFailures += 1
            lastRotationError = error
        }
    }

    /// Closes the current segment and starts the next, named by the sequence it starts with.
    func rotate(first: UInt64) throws(StoreError) {
        let newFD = try createSegment(first: first)
        POSIXFile.close(fd)
        fd = newFD
        segment = first
        size = 0
    }
}
