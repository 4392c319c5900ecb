import CoordinatorCore
import Store

/// The shared file store as a node's ``DurableLog``: one append per batch (group commit, one
/// fsync), store errors mapped to the core's ``WriteFailure``.
public struct StoreLog: DurableLog {
    let store: FileStore

    public init(_ store: FileStore) {
        self.store = store
    }

    public func append(_ writes: [DurableWrite]) async -> Result<[LogPosition], WriteFailure> {
        let entries = writes.map { StoreEntry(RecordType($0.kind), term: $0.term, timeMs: $0.time.ms, payload: $0.payload) }
        do {
            let results = try await store.append(entries)
            return .success(results.map { LogPosition(segment: $0.position.segment, offset: $0.position.offset) })
        } catch let error as StoreError {
            return .failure(WriteFailure(error.code == .closed ? .closed : .io, detail: error.description))
        } catch {
            return .failure(WriteFailure(.io, detail: "\(error)"))
        }
    }
}
