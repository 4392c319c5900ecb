import CoordinatorCore
import Store
import VigilCodec

/// A node's start generation: one more than any it wrote before, made durable before gossip
/// starts, so a restarted node (same id, maybe a new address) outranks its old incarnation.
public enum NodeGeneration {
    /// Takes the next generation for `node`, given what the store held at start-up, and
    /// appends it.
    /// - Throws: ``StoreUnavailable`` when the store refuses the write.
    /// - Parameter atLeast: the generation a snapshot recorded (its generation records may be
    ///   gone with deleted segments).
    public static func claim(node: String, restored records: [StoreRecord], atLeast: UInt64 = 0, store: FileStore, wallMs: Int64) async throws(StoreUnavailable) -> UInt64 {
        var highest = atLeast
        for record in records where DurableKind(record.type) == .generation && record.node == node {
            var reader = ByteReader(record.payload[...])
            if let generation = reader.readVarint() { highest = max(highest, generation) }
        }
        let generation = highest + 1
        var payload: [UInt8] = []
        Varint.append(generation, to: &payload)
        do {
            _ = try await store.append(RecordType(.generation), timeMs: wallMs, payload: payload)
        } catch {
            throw StoreUnavailable(WriteFailure(.io, detail: "\(error)"))
        }
        return generation
    }
}
