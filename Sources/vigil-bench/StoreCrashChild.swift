import Coordinator
import CoordinatorCore
import Foundation
import Store

/// The crash-safety test's victim: 8 concurrent appenders, each printing `ack SEQ` once its
/// append is durable, until the process is killed.
enum StoreCrashChild {
    static func run(directory: String) async throws {
        let store = try FileStore(root: directory, node: "victim", segmentBytes: 16_384)
        let out = FileHandle.standardOutput
        out.write(Data("ready \(store.nextSequence)\n".utf8))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in 0..<1_000_000 {
                        let body = Array("worker \(worker) record \(i) ".utf8) + [UInt8](repeating: UInt8(i & 0xFF), count: i % 300)
                        let result = try await store.append(RecordType(.registration), timeMs: Int64(i), payload: body)
                        out.write(Data("ack \(result.sequence)\n".utf8))
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
