import Coordinator
import CoordinatorCore
import Foundation
import Glibc
import Store

/// The full-disk test's child: limits its own file size (RLIMIT_FSIZE, like a full disk for
/// this process), appends until the store refuses, and prints `ack SEQ` for each durable append
/// and `error …` for the first failure.
enum StoreFullChild {
    static func run(directory: String, limitBytes: Int) async throws {
        signal(SIGXFSZ, SIG_IGN)  // get EFBIG from write() instead of being killed
        var limit = rlimit(rlim_cur: rlim_t(limitBytes), rlim_max: rlim_t(limitBytes))
        guard setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0 else { fail("setrlimit failed") }
        let store = try FileStore(root: directory, node: "full", segmentBytes: 1 << 30)
        let out = FileHandle.standardOutput
        for i in 0..<100_000 {
            do {
                let result = try await store.append(RecordType(.registration), timeMs: Int64(i), payload: [UInt8](repeating: UInt8(i & 0xFF), count: 100 + i % 400))
                out.write(Data("ack \(result.sequence)\n".utf8))
            } catch {
                out.write(Data("error \(error)\n".utf8))
                break
            }
        }
        store.close()
    }
}
