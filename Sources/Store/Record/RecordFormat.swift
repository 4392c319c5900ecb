import VigilCodec

/// The on-disk frame of one record, little-endian:
///
/// ```
/// 0  magic       4  D6 56 47 4C, so a reader can find the next record after damage
/// 4  body length 4  bytes after the checksum field
/// 8  CRC32C      4  over the body
/// 12 type        1
/// 13 flags       1  bit 0: payload is LZ4 (then it starts with its u32 uncompressed length)
/// 14 node length 1
/// 15 reserved    1  zero
/// 16 term        8
/// 24 time        8  Unix ms
/// 32 sequence    8
/// 40 node id, then payload
/// ```
enum RecordFormat {
    static let magic: [UInt8] = [0xD6, 0x56, 0x47, 0x4C]
    static let headerSize = 40
    /// Largest body accepted on read or write; anything claiming more is damage.
    static let maxBodyLength = 64 << 20
    /// Payloads at least this large are tried with LZ4.
    static let compressionThreshold = 512

    static func encode(
        node: [UInt8], sequence: UInt64, type: RecordType, term: UInt64, timeMs: Int64, payload: [UInt8]
    ) throws(StoreError) -> [UInt8] {
        var flags: UInt8 = 0
        var stored = payload
        if payload.count >= compressionThreshold, let compressed = try? LZ4.compress(payload), compressed.count + 4 < payload.count {
            flags |= 1
            stored = []
            stored.reserveCapacity(compressed.count + 4)
            appendLE(UInt32(payload.count), to: &stored)
            stored.append(contentsOf: compressed)
        }
        let bodyLength = headerSize - 12 + node.count + stored.count
        guard bodyLength <= maxBodyLength, node.count <= 255 else {
            throw StoreError(code: .recordTooLarge, path: "", detail: "record body of \(bodyLength) bytes exceeds \(maxBodyLength)")
        }
        var out: [UInt8] = []
        out.reserveCapacity(12 + bodyLength)
        out.append(contentsOf: magic)
        appendLE(UInt32(bodyLength), to: &out)
        appendLE(UInt32(0), to: &out)  // checksum placeholder
        out.append(type.rawValue)
        out.append(flags)
        out.append(UInt8(node.count))
        out.append(0)
        appendLE(term, to: &out)
        appendLE(UInt64(bitPattern: timeMs), to: &out)
        appendLE(sequence, to: &out)
        out.append(contentsOf: node)
        out.append(contentsOf: stored)
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[12...])) }
        out[8] = UInt8(truncatingIfNeeded: crc)
        out[9] = UInt8(truncatingIfNeeded: crc >> 8)
        out[10] = UInt8(truncatingIfNeeded: crc >> 16)
        out[11] = UInt8(truncatingIfNeeded: crc >> 24)
        return out
    }

    @inline(__always) static func appendLE<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    @inline(__always) static func readLE<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _ offset: Int, as: T.Type) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// What is at `offset` in `bytes`.
    enum Decoded {
        /// A whole, valid record ending at `end`.
        case record(header: Header, payloadRange: Range<Int>, end: Int)
        /// The bytes end inside a record that looks well-formed so far (a write in progress, or
        /// a torn tail).
        case incomplete
        /// Not a valid record: why.
        case damaged(String)
    }

    struct Header {
        var type: RecordType
        var flags: UInt8
        var term: UInt64
        var timeMs: Int64
        var sequence: UInt64
        var nodeRange: Range<Int>
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Decoded {
        let available = bytes.count - offset
        if available < 12 {
            // Could be the start of a record still being written, if what's there matches the magic.
            for i in 0..<min(available, 4) where bytes[offset + i] != magic[i] { return .damaged("bad magic") }
            return .incomplete
        }
        for i in 0..<4 where bytes[offset + i] != magic[i] { return .damaged("bad magic") }
        let bodyLength = Int(readLE(bytes, offset + 4, as: UInt32.self))
        guard bodyLength >= headerSize - 12, bodyLength <= maxBodyLength else { return .damaged("implausible length \(bodyLength)") }
        guard available >= 12 + bodyLength else { return .incomplete }
        let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 12)..<(offset + 12 + bodyLength)])
        let stored = readLE(bytes, offset + 8, as: UInt32.self)
        guard CRC32C.checksum(body) == stored else { return .damaged("checksum mismatch") }
        let nodeLength = Int(bytes[offset + 14])
        let nodeStart = offset + headerSize
        guard headerSize - 12 + nodeLength <= bodyLength else { return .damaged("node id overruns the record") }
        let header = Header(
            type: RecordType(rawValue: bytes[offset + 12]), flags: bytes[offset + 13],
            term: readLE(bytes, offset + 16, as: UInt64.self),
            timeMs: Int64(bitPattern: readLE(bytes, offset + 24, as: UInt64.self)),
            sequence: readLE(bytes, offset + 32, as: UInt64.self),
            nodeRange: nodeStart..<(nodeStart + nodeLength)
        )
        let end = offset + 12 + bodyLength
        return .record(header: header, payloadRange: (nodeStart + nodeLength)..<end, end: end)
    }

    /// The payload, decompressed when flagged.
    static func payload(_ bytes: UnsafeRawBufferPointer, header: Header, range: Range<Int>) -> Result<[UInt8], StoreError> {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard header.flags & 1 != 0 else { return .success(Array(raw)) }
        guard raw.count >= 4 else { return .failure(StoreError(code: .corrupt, path: "", detail: "LZ4 payload without length")) }
        let length = Int(readLE(raw, 0, as: UInt32.self))
        guard length <= maxBodyLength * 4 else { return .failure(StoreError(code: .corrupt, path: "", detail: "LZ4 length \(length) implausible")) }
        do {
            let out = try LZ4.decompress(UnsafeRawBufferPointer(rebasing: raw[4...]), maxOutputSize: length)
            guard out.count == length else { return .failure(StoreError(code: .corrupt, path: "", detail: "LZ4 payload length mismatch")) }
            return .success(out)
        } catch {
            return .failure(StoreError(code: .corrupt, path: "", detail: "\(error)"))
        }
    }
}
