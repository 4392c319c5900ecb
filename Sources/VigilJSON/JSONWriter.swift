/// Serialises ``JSONValue`` and builds JSON text by hand for fixed-shape responses.
///
/// Output is compact (no spaces), strings are escaped per RFC 8259, and non-ASCII text is
/// written as UTF-8, not `\u` escapes.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// The text written so far.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func raw(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// Writes `"text"` with escaping.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(0x5C); bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func int(_ value: Int64) {
        raw(String(value))
    }

    /// Writes a finite double; integral values keep a `.0` so they read back as numbers with a
    /// fraction, matching what Python's `json` module would send.
    public mutating func double(_ value: Double) {
        guard value.isFinite else { raw("null"); return }
        raw(value.description)
    }

    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let b): raw(b ? "true" : "false")
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .array(let elements):
            raw(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { raw(UInt8(ascii: ",")) }
                self.value(element)
            }
            raw(UInt8(ascii: "]"))
        case .object(let object):
            raw(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { raw(UInt8(ascii: ",")) }
                string(member.key)
                raw(UInt8(ascii: ":"))
                self.value(member.value)
            }
            raw(UInt8(ascii: "}"))
        }
    }

    /// Serialises a whole value.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        writer.value(value)
        return writer.bytes
    }
}

extension JSONValue {
    /// Compact JSON text for this value.
    public var jsonText: String {
        String(decoding: JSONWriter.encode(self), as: UTF8.self)
    }
}
