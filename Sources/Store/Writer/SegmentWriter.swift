import Glibc

/// Appends to one node's own segment files. Used from a single thread (the group committer's).
///
/// At open it repairs the newest segment: a torn tail (bytes after the last whole record that
/// do not form a record) is truncated away, and the next sequence number continues from the
/// last record found.
final class SegmentWriter {
    let directory: String
    let node: [UInt8]
    let segmentBytes: Int
    private(set) var segment: UInt64
    private(set) var size: Int
    private(set) var nextSequence: UInt64
    private(set) var fsyncCount = 0
    /// Rotations that failed (the records were durable; writing went on in the current segment).
    private(set) var rotationFailures = 0
    private(set) var lastRotationError: StoreError?
    private var fd: Int32
    /// What start-up repair did, for the log.
    private(set) var repairedTail: StoreDamage?

    var currentPath: String { directory + "/" + SegmentName.fileName(segment) }

    init(directory: String, node: String, segmentBytes: Int) throws(StoreError) {
        self.directory = directory
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

    /// Writes `records` (already framed) with one write and one fsync. On any failure the
    /// segment is cut back to where it was, so a failed append leaves nothing behind.
    /// - Parameter following: the sequence number after the batch's last record (names the next
    ///   segment if this write fills the current one).
    /// - Returns: the position of each record.
    func write(_ records: [[UInt8]], following: UInt64) throws(StoreError) -> [StorePosition] {
        // A rotation that failed after an earlier write is tried again first.
        if size >= segmentBytes { rotateIfPossible(first: following - UInt64(records.count)) }
        var batch: [UInt8] = []
        batch.reserveCapacity(records.reduce(0) { $0 + $1.count })
        var positions: [StorePosition] = []
        positions.reserveCapacity(records.count)
        for record in records {
            positions.append(StorePosition(segment: segment, offset: size + batch.count))
            batch.append(contentsOf: record)
        }
        let path = currentPath
        do {
            try POSIXFile.writeAll(fd, batch, path: path)
            try POSIXFile.fsync(fd, path: path)
            fsyncCount += 1
        } catch {
            // Never leave a half-written batch: cut back and make the cut durable.
            try? POSIXFile.truncate(fd, to: size, path: path)
            _ = try? POSIXFile.fsync(fd, path: path)
            try? POSIXFile.seekToEnd(fd, path: path)
            throw error
        }
        size += batch.count
        // The batch is durable: whatever happens to the rotation, the caller is told so.
        if size >= segmentBytes { rotateIfPossible(first: following) }
        return positions
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
