import Glibc
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
        checkFilesystem(path: path, node: node, logger: logger)
        let store: FileStore
        do {
            store = try FileStore(root: path, node: node, segmentBytes: segmentBytes, logger: logger)
        } catch {
            throw StartupFailure("cannot open the store: \(error)", exitCode: 1)
        }
        let restored: (snapshot: [UInt8]?, records: [StoreRecord], damages: [StoreDamage], cursor: StoreCursor)
        do {
            restored = try restore(store, logger: logger)
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

    /// Reads the store back, retrying a network filesystem's passing errors (ESTALE on a
    /// snapshot a peer just replaced, ENOTCONN while the client reconnects: ``StoreError/isTransient``)
    /// up to 5 times over about 3 s before giving up.
    static func restore(_ store: FileStore, logger: Logger) throws(StoreError) -> (snapshot: [UInt8]?, records: [StoreRecord], damages: [StoreDamage], cursor: StoreCursor) {
        var attempt = 1
        while true {
            do {
                return try store.restore()
            } catch where error.isTransient && attempt < 5 {
                logger.warning("Reading the store back failed; retrying", metadata: ["error": "\(error)", "store.attempt": "\(attempt)"])
                usleep(UInt32(200_000 * attempt))  // start-up, before anything is served: blocking is fine here
                attempt += 1
            }
        }
    }

    /// The quick, local part of `vigil store check` (a few fsyncs and a rename in
    /// `.vigil-check/`): what it finds is logged, never fatal here (opening the store fails on
    /// its own when the directory is unusable). The cross-host part needs a second host: the
    /// line says how to run it.
    static func checkFilesystem(path: String, node: String, logger: Logger) {
        var findings = FilesystemFindings()
        FilesystemCheck(directory: path, id: "serve-\(node)").local(into: &findings)
        let verdict = FilesystemVerdict(findings, expectPeers: 0)
        let type = findings.mount?.type ?? "unknown"
        for reason in verdict.reasons {
            logger.warning("Store filesystem check", metadata: ["store.filesystem": "\(type)", "store.check": "\(reason)"])
        }
        let shared = ["fuse.glusterfs", "ceph", "fuse.ceph", "cifs", "smb3"].contains(type) || type.hasPrefix("nfs")
        if shared {
            logger.notice("The store is on a network filesystem; check cross-host coherence with `vigil store check DIR --peers 1` on two hosts at once", metadata: [
                "store.filesystem": "\(type)", "store.path": "\(path)",
            ])
        }
    }
}
