import VigilCodec

/// Where a record sits in one node's store files: the segment (named by its first sequence)
/// and the byte offset in it. Records of one node are totally ordered by it.
public struct LogPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var segment: UInt64
    public var offset: Int

    public init(segment: UInt64, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (a: LogPosition, b: LogPosition) -> Bool { (a.segment, a.offset) < (b.segment, b.offset) }
    public var description: String { "\(segment)@\(offset)" }
}

/// A leader's claim of a term, as written to the store before any decision of that term.
///
/// The claim carries the claimant's *cut*: how far it had read every other node's files when it
/// claimed. That cut is the fence: a decision (strike batch, failure mark) of an older term
/// that lies beyond the cut was made by a leader the claimant had already superseded without
/// knowing it, and every reader discards it. Because the cut is in the store, every reader
/// draws the same line, whatever order it reads the files in.
public struct TermClaim: Sendable, Hashable {
    public var term: UInt64
    /// The node that claimed it.
    public var node: String
    /// Per other node: the position of the last record the claimant had read. `nil` for claims
    /// written before fencing existed (they fence nothing).
    public var cut: [String: LogPosition]?

    public init(term: UInt64, node: String, cut: [String: LogPosition]?) {
        self.term = term
        self.node = node
        self.cut = cut
    }

    /// Claims are ordered by term, then node id (two nodes may claim the same number at once).
    public func outranks(term other: UInt64, node otherNode: String) -> Bool {
        (term, node) > (other, otherNode)
    }

    /// Whether this claim voids a decision of `term` that `writer` wrote at `position`.
    public func fences(writer: String, term decisionTerm: UInt64, at position: LogPosition) -> Bool {
        guard let cut, node != writer, outranks(term: decisionTerm, node: writer) else { return false }
        guard let seen = cut[writer] else { return true }
        return position > seen
    }

    /// The store payload: term (varint), then the cut: count, and per node its id, segment and offset.
    public var payload: [UInt8] {
        var out: [UInt8] = []
        Varint.append(term, to: &out)
        let entries = (cut ?? [:]).sorted { $0.key < $1.key }
        Varint.append(UInt64(entries.count), to: &out)
        for (node, position) in entries {
            Varint.append(UInt64(node.utf8.count), to: &out)
            out += node.utf8
            Varint.append(position.segment, to: &out)
            Varint.append(UInt64(position.offset), to: &out)
        }
        return out
    }

    /// Decodes a claim `node` wrote; a payload with the term only (older versions) has no cut.
    public init?(node: String, payload: [UInt8]) {
        var reader = ByteReader(payload[...])
        guard let term = reader.readVarint() else { return nil }
        self.init(term: term, node: node, cut: nil)
        guard !reader.isAtEnd else { return }
        guard let count = reader.readVarint(), count <= UInt64(reader.remaining) else { return nil }
        var cut: [String: LogPosition] = [:]
        for _ in 0..<count {
            guard let length = reader.readVarint(), length <= UInt64(reader.remaining), let name = reader.readBytes(Int(length)),
                let segment = reader.readVarint(), let offset = reader.readVarint(), offset <= UInt64(Int.max)
            else { return nil }
            cut[String(decoding: name, as: UTF8.self)] = LogPosition(segment: segment, offset: Int(offset))
        }
        guard reader.isAtEnd else { return nil }
        self.cut = cut
    }
}

/// Every leadership claim and release this node has read, and how far it has read each other
/// node's files: the data behind the election's deference and the readers' fence.
public struct TermLedger: Sendable {
    /// Claims seen, in no particular order (one per leadership change: few).
    public private(set) var claims: [TermClaim] = []
    /// Claims given up on purpose, as (term, node).
    var released: Set<TermKey> = []
    /// Per other node, the position of the last of its records this node has applied.
    public private(set) var readCut: [String: LogPosition] = [:]

    struct TermKey: Hashable, Sendable {
        var term: UInt64
        var node: String
    }

    public init() {}

    /// The highest term in any claim.
    public var highestTerm: UInt64 { claims.map(\.term).max() ?? 0 }

    /// The highest claim that is not released, if any.
    public var active: TermClaim? {
        claims.filter { !released.contains(TermKey(term: $0.term, node: $0.node)) }.max { !$0.outranks(term: $1.term, node: $1.node) }
    }

    /// Notes that a record of `node` at `position` was applied.
    public mutating func read(node: String, at position: LogPosition) {
        if let known = readCut[node], known >= position { return }
        readCut[node] = position
    }

    /// Adds a claim (own or read); returns whether it is new.
    @discardableResult
    public mutating func add(_ claim: TermClaim) -> Bool {
        guard !claims.contains(where: { $0.term == claim.term && $0.node == claim.node }) else { return false }
        claims.append(claim)
        return true
    }

    /// Records that `node` gave up `term`.
    public mutating func release(term: UInt64, node: String) {
        released.insert(TermKey(term: term, node: node))
    }

    /// Whether any known claim voids a decision of `term` written by `writer` at `position`.
    public func fences(writer: String, term: UInt64, at position: LogPosition) -> Bool {
        claims.contains { $0.fences(writer: writer, term: term, at: position) }
    }
}
