import VigilCodec

/// Length-prefixed fields for the compact record payloads of the notification outbox.
enum BinaryFields {
    static func append(_ string: String, to out: inout [UInt8]) {
        Varint.append(UInt64(string.utf8.count), to: &out)
        out.append(contentsOf: string.utf8)
    }

    /// Optional string: varint 0 for none, else length + 1.
    static func append(optional string: String?, to out: inout [UInt8]) {
        guard let string else { return Varint.append(0, to: &out) }
        Varint.append(UInt64(string.utf8.count) + 1, to: &out)
        out.append(contentsOf: string.utf8)
    }

    static func appendSigned(_ value: Int64, to out: inout [UInt8]) {
        Varint.append(Varint.zigzag(value), to: &out)
    }

    static func string(_ r: inout ByteReader) -> String? {
        guard let n = r.readVarint(), n <= UInt64(r.remaining), let bytes = r.readBytes(Int(n)) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `.some(nil)` for an absent string, `nil` for damaged bytes.
    static func optionalString(_ r: inout ByteReader) -> String?? {
        guard let n = r.readVarint() else { return nil }
        if n == 0 { return .some(nil) }
        guard n - 1 <= UInt64(r.remaining), let bytes = r.readBytes(Int(n - 1)) else { return nil }
        return .some(String(decoding: bytes, as: UTF8.self))
    }

    static func signed(_ r: inout ByteReader) -> Int64? {
        r.readVarint().map(Varint.unzigzag)
    }
}
