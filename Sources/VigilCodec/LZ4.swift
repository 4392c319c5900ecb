import CLZ4

/// LZ4 block compression with explicit size limits, the one place that touches `CLZ4`.
///
/// Blocks carry no header: callers store the uncompressed size (or a hard upper bound for it)
/// next to the block and pass it to ``decompress(_:maxOutputSize:)``. Decompression never writes
/// or allocates more than that bound, so a hostile block cannot become a memory bomb.
public enum LZ4 {
    /// The largest input LZ4 accepts in one block (`LZ4_MAX_INPUT_SIZE`).
    public static let maxInputSize = 0x7E00_0000

    /// The worst-case compressed size of `count` input bytes, or `nil` when `count` is too large.
    public static func compressBound(_ count: Int) -> Int? {
        guard count >= 0, count <= maxInputSize else { return nil }
        return Int(LZ4_compressBound(Int32(count)))
    }

    /// Compresses `input` into one LZ4 block.
    ///
    /// - Throws: ``LZ4Error`` with code `.inputTooLarge` beyond ``maxInputSize``.
    public static func compress(_ input: some Collection<UInt8>) throws(LZ4Error) -> [UInt8] {
        let bytes = Array(input)
        guard let bound = compressBound(bytes.count) else {
            throw LZ4Error(code: .inputTooLarge, detail: "\(bytes.count) bytes exceed the LZ4 block limit of \(maxInputSize)")
        }
        if bytes.isEmpty { return [] }
        var output = [UInt8](repeating: 0, count: bound)
        let written = bytes.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                src.withMemoryRebound(to: CChar.self) { s in
                    dst.withMemoryRebound(to: CChar.self) { d in
                        LZ4_compress_default(s.baseAddress, d.baseAddress, Int32(s.count), Int32(d.count))
                    }
                }
            }
        }
        // With a destination of compressBound bytes LZ4 cannot fail; guard anyway.
        guard written > 0 else {
            throw LZ4Error(code: .compressionFailed, detail: "LZ4_compress_default returned \(written)")
        }
        output.removeSubrange(Int(written)...)
        return output
    }

    /// Decompresses one LZ4 block, refusing to produce more than `maxOutputSize` bytes.
    ///
    /// - Throws: ``LZ4Error`` with `.malformed` when the block is damaged or would expand beyond
    ///   `maxOutputSize`; `.invalidLimit` when the limit itself is unusable.
    public static func decompress(_ input: some Collection<UInt8>, maxOutputSize: Int) throws(LZ4Error) -> [UInt8] {
        let bytes = Array(input)
        guard maxOutputSize >= 0, maxOutputSize <= maxInputSize else {
            throw LZ4Error(code: .invalidLimit, detail: "maximum output size \(maxOutputSize) is outside 0...\(maxInputSize)")
        }
        if bytes.isEmpty { return [] }
        guard bytes.count <= maxInputSize else {
            throw LZ4Error(code: .inputTooLarge, detail: "\(bytes.count) compressed bytes exceed the LZ4 block limit")
        }
        if maxOutputSize == 0 {
            throw LZ4Error(code: .malformed, detail: "non-empty block but a maximum output size of 0")
        }
        var output = [UInt8](repeating: 0, count: maxOutputSize)
        let produced = bytes.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                src.withMemoryRebound(to: CChar.self) { s in
                    dst.withMemoryRebound(to: CChar.self) { d in
                        LZ4_decompress_safe(s.baseAddress, d.baseAddress, Int32(s.count), Int32(d.count))
                    }
                }
            }
        }
        guard produced >= 0 else {
            throw LZ4Error(
                code: .malformed,
                detail: "block of \(bytes.count) bytes is damaged or expands beyond \(maxOutputSize) bytes"
            )
        }
        output.removeSubrange(Int(produced)...)
        return output
    }
}

/// Why an LZ4 operation failed.
public struct LZ4Error: Error, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable, Equatable {
        /// The input is larger than one LZ4 block may be.
        case inputTooLarge
        /// The compressed block is damaged or expands beyond the allowed size.
        case malformed
        /// The caller's maximum output size is negative or too large.
        case invalidLimit
        /// The compressor reported an error (should not happen with a bounded destination).
        case compressionFailed
    }

    /// The kind of failure.
    public var code: Code
    /// What exactly was wrong, for logs and error messages.
    public var detail: String

    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "LZ4 \(code): \(detail)" }
}
