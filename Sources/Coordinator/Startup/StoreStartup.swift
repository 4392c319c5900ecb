import CoordinatorCore
import Logging
import Store

/// What a node's store held at start-up: its newest snapshot (decoded) and every record after it.
public struct RestoredStore: Sendable {
    public var store: FileStore
    public var snapshot: NodeSnapshot?
    public var records: [StoreRecord]
    /// Where the replay stopped (the follower goes on from here).
    public var cursor: StoreCursor
}

/// Opens the node's part of the shared store and reads it back (before anything is served).
public enum StoreStartup {
    /// - Throws: ``StartupFailure`` (exit 1) when the store cannot be opened or read, or when
    ///   this node's snapshot cannot be decoded (the line says which file to move aside).
    public static func open(path: String, node: String, segmentBytes: Int, logger: Logger) throws(StartupFailure) -> RestoredStore {
        let store: FileStore
        do {
            store = try FileStore(root: path, node: node, segmentBytes: segmentBytes, logger: logger)
        } catch {
            throw StartupFailure("cannot open the store: \(error)", exitCode: 1)
        }
        let restored: (snapshot: [UInt8]?, records: [StoreRecord], damages: [StoreDamage], cursor: StoreCursor)
        do {
            restored = try store.restore()
        } catch {
            store.close()
            throw StartupFailure("cannot read the store: \(error)", exitCode: 1)
        }
        for damage in restored.damages { logger.warning("Store damage skipped", metadata: ["store.damage": "\(damage)"]) }
        let snapshot = restored.snapshot.flatMap(NodeSnapshot.init(decoding:))
        if restored.snapshot != nil, snapshot == nil {
            store.close()
            throw StartupFailure(
                "the store's snapshot of node \(node) cannot be read; move \(path)/\(node)/snapshot.idx aside to replay the full history", exitCode: 1
            )
        }
        return RestoredStore(store: store, snapshot: snapshot, records: restored.records, cursor: restored.cursor)
    }
}
