import VigilJSON
import Coordinator
import Foundation
import CoordinatorCore

/// Tracks `count` executions, each with one seed 003 heartbeat (container id, progress with
/// counters, stage and URL), and prints resident memory growth per execution.
enum MemoryBenchmark {
    /// - Parameter kinds: spread the executions over the four rules of ``SweepBenchmark/mixedRule(_:)``.
    static func run(count: Int, kinds: Bool = false) {
        var core = NodeCore(settings: NodeCore.Settings(me: "n1", configured: ["n1"], started: 1_700_000_000_000))
        let before = residentBytes()
        for i in 0..<count {
            let id = ExecutionID(high: UInt64(i) &* 0x9E37_79B9_7F4A_7C15, low: UInt64(i))
            let progress = seedProgress(i)
            let heartbeat = Heartbeat(
                executionID: id, containerID: "crawler-\(i)", clientTimestamp: 1_640_995_200, progress: progress, rule: kinds ? SweepBenchmark.mixedRule(i) : nil
            )
            core.receiveDurably(heartbeat, now: NodeNow(wall: WallTime(ms: 1_700_000_000_000 + Int64(i)), judge: 0))
        }
        let after = residentBytes()
        let perExecution = Double(after - before) / Double(count)
        print("memory\(kinds ? " (mixed kinds)" : ""): executions \(count) rss_before_mb \(before >> 20) rss_after_mb \(after >> 20) bytes_per_execution \(Int(perExecution.rounded()))")
        withExtendedLifetime(core) {}
    }

    /// Seed 003's progress object for execution number `i` (counters, stage and URL vary).
    static func seedProgress(_ i: Int) -> CoordinatorCore.Progress {
        try! CoordinatorCore.Progress(validating: [
            "total_urls": .int(100), "crawled_urls": .int(Int64(i % 100)), "successful_urls": .int(Int64(i % 97)),
            "failed_urls": .int(3), "current_url": .string("https://example.com/page\(i % 100)"),
            "current_stage": .string("爬取中 (\(i % 100)/100)"), "data_items": .int(Int64(i % 5000)),
            "percentage": .double(Double(i % 100)), "runtime_seconds": .int(1800),
        ])
    }

    /// Resident set size from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

extension NodeCore {
    /// A heartbeat taken the way a node takes it, its durable write (if any) reported at once.
    mutating func receiveDurably(_ heartbeat: Heartbeat, now: NodeNow) {
        if case .write(let ticket, _) = receive(heartbeat, now: now) { _ = written(ticket, at: LogPosition(segment: 0, offset: 0), now: now) }
    }
}
