/// Damage found while reading: where, how much was skipped, and why.
public struct StoreDamage: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var offset: Int
    /// Bytes skipped before the next valid record (or the end).
    public var length: Int
    public var reason: String

    public var description: String { "\(path) at byte \(offset): \(reason) (\(length) bytes skipped)" }
}

/// Parses the records of one segment file's bytes.
///
/// After a bad record it resynchronises: it searches forward for the next magic that starts a
/// valid record, and reports the skipped range as one ``StoreDamage``. Bytes at the end that
/// do not (yet) form a valid record are the *tail*: a write in progress for another node's
/// file, a torn write for the node's own file at start-up.
struct SegmentScanner {
    struct Result {
        var records: [StoreRecord] = []
        var damages: [StoreDamage] = []
        /// End of the last valid record (where a reader resumes, where a torn tail is cut).
        var validEnd: Int
        /// Whether bytes follow `validEnd` that are not a valid record.
        var hasTail: Bool { tailLength > 0 }
        var tailLength = 0
        /// Why the tail is not a record.
        var tailReason: String?
    }

    let path: String
    let node: String
    let segment: UInt64

    /// Scans `bytes`, whose first byte is at file offset `base`.
    func scan(_ bytes: [UInt8], base: Int = 0, decodePayloads: Bool = true) -> Result {
        bytes.withUnsafeBytes { raw in scan(raw, base: base, decodePayloads: decodePayloads) }
    }

    func scan(_ raw: UnsafeRawBufferPointer, base: Int, decodePayloads: Bool) -> Result {
        var result = Result(validEnd: base)
        var offset = 0
        var damageStart: Int?
        var damageReason = ""
        while offset < raw.count {
            switch RecordFormat.decode(raw, at: offset) {
            case .record(let header, let payloadRange, let end):
                var payload: [UInt8] = []
                if decodePayloads {
                    switch RecordFormat.payload(raw, header: header, range: payloadRange) {
                    case .success(let p): payload = p
                    case .failure(let error):
                        if damageStart == nil { damageStart = offset; damageReason = error.detail }
                        offset += 1
                        continue
                    }
                }
                if let start = damageStart {
                    result.damages.append(StoreDamage(path: path, offset: base + start, length: offset - start, reason: damageReason))
                    damageStart = nil
                }
                let nodeID = String(decoding: UnsafeRawBufferPointer(rebasing: raw[header.nodeRange]), as: UTF8.self)
                result.records.append(StoreRecord(
                    node: nodeID.isEmpty ? node : nodeID, position: StorePosition(segment: segment, offset: base + offset),
                    sequence: header.sequence, type: header.type, term: header.term, timeMs: header.timeMs, payload: payload
                ))
                offset = end
                result.validEnd = base + end
            case .incomplete:
                // Only meaningful at the very end: the rest of the bytes may be a record in progress.
                if damageStart == nil { damageStart = offset; damageReason = "incomplete record" }
                offset = raw.count
            case .damaged(let reason):
                if damageStart == nil { damageStart = offset; damageReason = reason }
                offset = nextMagic(raw, after: offset)
            }
        }
        if let start = damageStart {
            // Damage with no valid record after it: the tail.
            result.tailLength = raw.count - start
            result.tailReason = damageReason
        }
        return result
    }

    /// The offset of the next magic after `offset`, or the end.
    private func nextMagic(_ raw: UnsafeRawBufferPointer, after offset: Int) -> Int {
        var i = offset + 1
        let m = RecordFormat.magic
        while i + 4 <= raw.count {
            if raw[i] == m[0], raw[i + 1] == m[1], raw[i + 2] == m[2], raw[i + 3] == m[3] { return i }
            i += 1
        }
        // A partial magic at the very end may be a record starting to be written.
        while i < raw.count {
            var prefix = true
            for k in 0..<(raw.count - i) where raw[i + k] != m[k] { prefix = false; break }
            if prefix { return i }
            i += 1
        }
        return raw.count
    }
}
