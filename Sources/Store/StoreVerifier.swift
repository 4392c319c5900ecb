/// `vigil store verify`: reads every file of a store and reports records and damage per file.
public enum StoreVerifier {
    /// One segment file's health.
    public struct FileReport: Sendable, Equatable {
        public var path: String
        public var records: Int
        public var bytes: Int
        public var damages: [StoreDamage]
        /// Readable records per type byte (the store does not name them; the caller does).
        public var recordTypes: [RecordType: Int] = [:]
    }

    /// Checks every segment of every node. Unreadable files are reported as damage, not thrown.
    public static func verify(root: String) throws(StoreError) -> [FileReport] {
        let reader = StoreReader(root: root)
        var reports: [FileReport] = []
        for node in try reader.nodes() {
            for segment in try reader.segments(of: node) {
                let path = reader.path(node: node, segment: segment)
                do {
                    let bytes = try POSIXFile.read(path: path)
                    let scan = SegmentScanner(path: path, node: node, segment: segment).scan(bytes)
                    var damages = scan.damages
                    if scan.hasTail {
                        damages.append(StoreDamage(path: path, offset: scan.validEnd, length: scan.tailLength, reason: "unfinished record at the end (\(scan.tailReason ?? ""))"))
                    }
                    var types: [RecordType: Int] = [:]
                    for record in scan.records { types[record.type, default: 0] += 1 }
                    reports.append(FileReport(path: path, records: scan.records.count, bytes: bytes.count, damages: damages, recordTypes: types))
                } catch {
                    reports.append(FileReport(path: path, records: 0, bytes: 0, damages: [StoreDamage(path: path, offset: 0, length: 0, reason: error.description)]))
                }
            }
        }
        return reports
    }
}
