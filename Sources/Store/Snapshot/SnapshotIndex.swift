import Glibc
import VigilCodec

/// `<store>/<node>/snapshot.idx`: where the node's newest snapshot record is, so a restart
/// finds it without reading history. Replaced atomically (write, fsync, rename, fsync dir).
enum SnapshotIndex {
    static let fileName = "snapshot.idx"
    static let magic: [UInt8] = [0x56, 0x53, 0x49, 0x31]  // "VSI1"

    static func write(_ position: StorePosition, directory: String) throws(StoreError) {
        var bytes = magic
        RecordFormat.appendLE(position.segment, to: &bytes)
        RecordFormat.appendLE(UInt64(position.offset), to: &bytes)
        RecordFormat.appendLE(CRC32C.checksum(bytes), to: &bytes)
        let path = directory + "/" + fileName
        let temporary = path + ".tmp"
        let fd = try POSIXFile.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try POSIXFile.writeAll(fd, bytes, path: temporary)
            try POSIXFile.fsync(fd, path: temporary)
        } catch {
            POSIXFile.close(fd)
            throw error
        }
        POSIXFile.close(fd)
        try POSIXFile.rename(temporary, path)
        try POSIXFile.fsyncDirectory(directory)
    }

    /// The indexed position, `nil` when there is no index; a damaged index is an error.
    static func read(directory: String) throws(StoreError) -> StorePosition? {
        let path = directory + "/" + fileName
        guard (try POSIXFile.list(directory) ?? []).contains(fileName) else { return nil }
        let bytes = try POSIXFile.read(path: path)
        guard bytes.count == 24, Array(bytes[0..<4]) == magic,
            CRC32C.checksum(Array(bytes[0..<20])) == bytes.withUnsafeBytes({ RecordFormat.readLE($0, 20, as: UInt32.self) })
        else { throw StoreError(code: .corrupt, path: path, detail: "snapshot index is damaged") }
        return bytes.withUnsafeBytes {
            StorePosition(segment: RecordFormat.readLE($0, 4, as: UInt64.self), offset: Int(RecordFormat.readLE($0, 12, as: UInt64.self)))
        }
    }
}
