import Foundation
import Store

/// A fresh temporary store directory, removed when the test ends.
final class TemporaryStore {
    let root: String

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-store-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func segmentFiles(_ node: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + node)) ?? []).filter { $0.hasSuffix(".log") }.sorted()
            .map { root + "/" + node + "/" + $0 }
    }

    func bytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

    func write(_ bytes: [UInt8], to path: String) { FileManager.default.createFile(atPath: path, contents: Data(bytes)) }
}

func payload(_ i: Int, size: Int = 24) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
}

/// Type bytes for the store's own tests. The store does not interpret them (any byte but its
/// snapshot's will do); they are named after the coordinator's records they stand for.
extension RecordType {
    static let registration = RecordType(rawValue: 1)
    static let completion = RecordType(rawValue: 2)
    static let failureMark = RecordType(rawValue: 3)
    static let strikeBatch = RecordType(rawValue: 4)
}
