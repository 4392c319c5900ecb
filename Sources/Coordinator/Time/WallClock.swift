import Foundation
import Synchronization

/// The wall clock, read only in IO shells (HTTP handlers, services) and passed into the pure
/// cores as a number.
public enum WallClock {
    /// Unix milliseconds now (plus the test offset, when one is set).
    public static let unixMs: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) + TestWallOffset.shared.ms() }
}

/// A step of this process's wall clock, for the chaos tests only: when the environment names a
/// file in `VIGIL_TEST_WALL_OFFSET_FILE`, its content (an integer, milliseconds, may be negative)
/// is added to every wall clock reading, re-read at most every 100 ms, so a test can step a
/// running node's clock by ±5 minutes as NTP or an operator would. Liveness runs on the
/// monotonic clock and must not notice. Unset (always, outside tests): adds 0 and reads nothing.
final class TestWallOffset: Sendable {
    static let shared = TestWallOffset(path: ProcessInfo.processInfo.environment["VIGIL_TEST_WALL_OFFSET_FILE"])

    let path: String?
    private let cache = Mutex<(readAt: UInt64, value: Int64)>((0, 0))

    init(path: String?) {
        self.path = path
    }

    func ms() -> Int64 {
        guard let path else { return 0 }
        let now = DispatchTime.now().uptimeNanoseconds
        return cache.withLock { cache in
            if cache.readAt == 0 || now - cache.readAt > 100_000_000 {
                cache.readAt = now
                let text = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                cache.value = text.flatMap { Int64($0) } ?? 0
            }
            return cache.value
        }
    }
}
