import VigilCodec

/// A compact binary form of JSON, used to keep progress and result objects small in memory, in
/// the store and on the gossip wire.
///
/// Layout: one tag byte per value, then
/// - `int`: zig-zag LEB128 varint; `double`: 8 bytes little-endian; `string`: varint length + UTF-8;
/// - `array`: varint count + values; `object`: varint count + (key, value) pairs.
/// A key is a varint `k`: `k < knownKeys.count` names a well-known key (the seed's progress
/// fields, one byte each), otherwise `k - knownKeys.count` is the length of an inline UTF-8 key.
///
/// The `knownKeys` table is part of the format: append to it, never reorder it.
public enum CompactJSON {
    /// Keys common in heartbeat progress (seed 003/004), encoded as one byte.
    public static let knownKeys: [String] = [
        "total_urls", "crawled_urls", "successful_urls", "failed_urls", "current_url",
        "current_stage", "data_items", "percentage", "runtime_seconds", "start_time",
        "error_count", "stage", "current_step", "total_steps", "error",
        "processed_records", "output_files", "execution_time",
    ]

    private static let knownKeyIndex: [String: Int] = Dictionary(
        uniqueKeysWithValues: knownKeys.enumerated().map { ($1, $0) }
    )

    enum Tag: UInt8 {
        case null = 0, bool_false = 1, bool_true = 2, int = 3, double = 4, string = 5, array = 6, object = 7
    }

    /// Encodes a value.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        encode(value, into: &out)
        return out
    }

    /// Appends the encoding of `value` to `out`.
    public static func encode(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(Tag.null.rawValue)
        case .bool(let b): out.append(b ? Tag.bool_true.rawValue : Tag.bool_false.rawValue)
        case .int(let i):
            out.append(Tag.int.rawValue)
            Varint.append(Varint.zigzag(i), to: &out)
        case .double(let d):
            out.append(Tag.double.rawValue)
            withUnsafeBytes(of: d.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        case .string(let s):
            out.append(Tag.string.rawValue)
            appendString(s, to: &out)
        case .array(let elements):
            out.append(Tag.array.rawValue)
            Varint.append(UInt64(elements.count), to: &out)
            for element in elements { encode(element, into: &out) }
        case .object(let object):
            out.append(Tag.object.rawValue)
            Varint.append(UInt64(object.members.count), to: &out)
            for member in object.members {
                if let known = knownKeyIndex[member.key] {
                    Varint.append(UInt64(known), to: &out)
                } else {
                    let utf8 = member.key.utf8
                    Varint.append(UInt64(knownKeys.count + utf8.count), to: &out)
                    out.append(contentsOf: utf8)
                }
                encode(member.value, into: &out)
            }
        }
    }

    private static func appendString(_ s: String, to out: inout [UInt8]) {
        let utf8 = s.utf8
        Varint.append(UInt64(utf8.count), to: &out)
        out.append(contentsOf: utf8)
    }

    /// Decodes a value, checking every length against the remaining bytes and bounding depth.
    public static func decode(_ bytes: [UInt8], maxDepth: Int = 32) throws(CompactJSONError) -> JSONValue {
        var reader = ByteReader(bytes[...])
        let value = try decodeValue(&reader, depth: 0, maxDepth: maxDepth)
        guard reader.isAtEnd else { throw CompactJSONError(reason: "trailing bytes after value") }
        return value
    }

    /// Decodes one value from `reader` (used when compact JSON is embedded in a larger record).
    public static func decode(from reader: inout ByteReader, maxDepth: Int = 32) throws(CompactJSONError) -> JSONValue {
        try decodeValue(&reader, depth: 0, maxDepth: maxDepth)
    }

    private static func decodeValue(_ r: inout ByteReader, depth: Int, maxDepth: Int) throws(CompactJSONError) -> JSONValue {
        guard depth <= maxDepth else { throw CompactJSONError(reason: "nesting too deep") }
        guard let raw = r.readByte(), let tag = Tag(rawValue: raw) else { throw CompactJSONError(reason: "bad or missing tag") }
        switch tag {
        case .null: return .null
        case .bool_false: return .bool(false)
        case .bool_true: return .bool(true)
        case .int:
            guard let v = r.readVarint() else { throw CompactJSONError(reason: "truncated integer") }
            return .int(Varint.unzigzag(v))
        case .double:
            guard let bits = r.readUInt64LE() else { throw CompactJSONError(reason: "truncated double") }
            let d = Double(bitPattern: bits)
            guard d.isFinite else { throw CompactJSONError(reason: "non-finite double") }
            return .double(d)
        case .string:
            return .string(try readString(&r))
        case .array:
            guard let count = r.readVarint(), count <= UInt64(r.remaining) else { throw CompactJSONError(reason: "bad array count") }
            var elements: [JSONValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<count { elements.append(try decodeValue(&r, depth: depth + 1, maxDepth: maxDepth)) }
            return .array(elements)
        case .object:
            guard let count = r.readVarint(), count <= UInt64(r.remaining) else { throw CompactJSONError(reason: "bad object count") }
            var members: [JSONObject.Member] = []
            members.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let k = r.readVarint() else { throw CompactJSONError(reason: "truncated key") }
                let key: String
                if k < UInt64(knownKeys.count) {
                    key = knownKeys[Int(k)]
                } else {
                    let length = k - UInt64(knownKeys.count)
                    guard length <= UInt64(r.remaining), let b = r.readBytes(Int(length)),
                        let s = String(validating: b, as: UTF8.self)
                    else { throw CompactJSONError(reason: "bad key") }
                    key = s
                }
                members.append(.init(key: key, value: try decodeValue(&r, depth: depth + 1, maxDepth: maxDepth)))
            }
            return .object(JSONObject(members))
        }
    }

    private static func readString(_ r: inout ByteReader) throws(CompactJSONError) -> String {
        guard let length = r.readVarint(), length <= UInt64(r.remaining), let b = r.readBytes(Int(length)),
            let s = String(validating: b, as: UTF8.self)
        else { throw CompactJSONError(reason: "bad string") }
        return s
    }
}

/// A compact JSON blob that could not be decoded (damaged store record or datagram).
public struct CompactJSONError: Error, Equatable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}
