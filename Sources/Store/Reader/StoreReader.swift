/// Reads every node's files of a store directory, with no writer needed.
public struct StoreReader: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// Node directories present in the store.
    public func nodes() throws(StoreError) -> [String] {
        guard let names = try POSIXFile.subdirectories(root) else {
            throw StoreError(code: .invalidLayout, path: root, detail: "store directory does not exist")
        }
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// A node's segments (first sequence numbers), oldest first.
    public func segments(of node: String) throws(StoreError) -> [UInt64] {
        (try POSIXFile.list(root + "/" + node) ?? []).compactMap(SegmentName.parse).sorted()
    }

    func path(node: String, segment: UInt64) -> String {
        root + "/" + node + "/" + SegmentName.fileName(segment)
    }

    /// Every record of every node from `cursor` on, merged into one stream: each node's own
    /// order is kept, and across nodes records are interleaved by their writer's wall time.
    ///
    /// Tails that are not (yet) whole records are not returned; damage in the middle of a file
    /// is skipped and reported.
    public func replay(from cursor: StoreCursor = StoreCursor()) throws(StoreError) -> (records: [StoreRecord], damages: [StoreDamage], cursor: StoreCursor) {
        var tail = StoreTail(cursor: cursor)
        let batch = try tail.poll(self)
        return (batch.records, batch.damages, tail.cursor)
    }

    /// Reads one node's segment from `offset` to the end.
    func scan(node: String, segment: UInt64, from offset: Int, decodePayloads: Bool = true) throws(StoreError) -> SegmentScanner.Result {
        let path = path(node: node, segment: segment)
        let bytes = try POSIXFile.read(path: path, from: offset)
        return SegmentScanner(path: path, node: node, segment: segment).scan(bytes, base: offset, decodePayloads: decodePayloads)
    }

    /// Merges per-node ordered lists by time, keeping each node's order (a k-way merge on the
    /// head of each list).
    static func merge(_ perNode: [[StoreRecord]]) -> [StoreRecord] {
        var heads = [Int](repeating: 0, count: perNode.count)
        var out: [StoreRecord] = []
        out.reserveCapacity(perNode.reduce(0) { $0 + $1.count })
        while true {
            var best = -1
            for i in perNode.indices where heads[i] < perNode[i].count {
                if best < 0 { best = i; continue }
                let a = perNode[i][heads[i]], b = perNode[best][heads[best]]
                if (a.timeMs, a.node) < (b.timeMs, b.node) { best = i }
            }
            if best < 0 { return out }
            out.append(perNode[best][heads[best]])
            heads[best] += 1
        }
    }
}

/// How far each node's log has been read: the position just after the last record consumed.
public struct StoreCursor: Sendable, Equatable {
    public var positions: [String: StorePosition]

    public init(positions: [String: StorePosition] = [:]) {
        self.positions = positions
    }

    /// Compact binary form, stored inside snapshot records.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        RecordFormat.appendLE(UInt32(positions.count), to: &out)
        for (node, position) in positions.sorted(by: { $0.key < $1.key }) {
            let utf8 = Array(node.utf8)
            out.append(UInt8(min(utf8.count, 255)))
            out.append(contentsOf: utf8.prefix(255))
            RecordFormat.appendLE(position.segment, to: &out)
            RecordFormat.appendLE(UInt64(position.offset), to: &out)
        }
        return out
    }

    /// Decodes ``encoded``; returns the cursor and how many bytes it used.
    public static func decode(_ bytes: [UInt8]) throws(StoreError) -> (StoreCursor, Int) {
        func bad() -> StoreError { StoreError(code: .corrupt, path: "", detail: "snapshot cursor is malformed") }
        guard bytes.count >= 4 else { throw bad() }
        let count = bytes.withUnsafeBytes { RecordFormat.readLE($0, 0, as: UInt32.self) }
        guard count <= 10_000 else { throw bad() }
        var offset = 4
        var positions: [String: StorePosition] = [:]
        for _ in 0..<count {
            guard offset < bytes.count else { throw bad() }
            let length = Int(bytes[offset])
            offset += 1
            guard offset + length + 16 <= bytes.count else { throw bad() }
            let node = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
            offset += length
            let (segment, position) = bytes.withUnsafeBytes {
                (RecordFormat.readLE($0, offset, as: UInt64.self), RecordFormat.readLE($0, offset + 8, as: UInt64.self))
            }
            offset += 16
            positions[node] = StorePosition(segment: segment, offset: Int(position))
        }
        return (StoreCursor(positions: positions), offset)
    }
}

/// Follows every node's files as they grow: each ``poll(_:)`` returns the whole records written
/// since the previous one. A leader taking over reads what the old leader wrote this way.
///
/// A tail that is not a whole record yet is left for the next poll, unless the node has
/// already moved on to a newer segment: then it can never complete and is reported as damage.
public struct StoreTail: Sendable {
    public private(set) var cursor: StoreCursor

    public init(cursor: StoreCursor = StoreCursor()) {
        self.cursor = cursor
    }

    /// - Parameter progress: called after each file operation of the poll (the listing, each
    ///   node's directory, each segment read): on a network filesystem one poll is dozens of
    ///   round trips, so "the read is stuck" means no step finished for a while, not a long poll.
    public mutating func poll(_ reader: StoreReader, progress: () -> Void = {}) throws(StoreError) -> (records: [StoreRecord], damages: [StoreDamage]) {
        var perNode: [[StoreRecord]] = []
        var damages: [StoreDamage] = []
        let nodes = try reader.nodes()
        progress()
        for node in nodes {
            let segments = try reader.segments(of: node)
            progress()
            guard !segments.isEmpty else { continue }
            var position = cursor.positions[node] ?? StorePosition(segment: segments[0], offset: 0)
            var records: [StoreRecord] = []
            for (i, segment) in segments.enumerated() where segment >= position.segment {
                if segment > position.segment { position = StorePosition(segment: segment, offset: 0) }
                let scan = try reader.scan(node: node, segment: segment, from: position.offset)
                progress()
                records += scan.records
                damages += scan.damages
                let sealed = i < segments.count - 1
                if scan.hasTail && sealed {
                    damages.append(StoreDamage(
                        path: reader.path(node: node, segment: segment), offset: scan.validEnd, length: scan.tailLength,
                        reason: "unfinished record at the end of a closed segment: \(scan.tailReason ?? "")"
                    ))
                }
                position.offset = scan.hasTail && sealed ? scan.validEnd + scan.tailLength : scan.validEnd
            }
            cursor.positions[node] = position
            perNode.append(records)
        }
        return (StoreReader.merge(perNode), damages)
    }
}
