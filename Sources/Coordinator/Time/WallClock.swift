import Foundation

/// The wall clock, read only in IO shells (HTTP handlers, services) and passed into the pure
/// cores as a number.
public enum WallClock {
    /// Unix milliseconds now.
    public static let unixMs: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
