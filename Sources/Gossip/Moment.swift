/// A point on a node's monotonic timeline, in nanoseconds since an arbitrary origin.
///
/// The pure cores never read a clock: the shell (or a simulator) converts its clock's instants to
/// `Moment`s and passes them in, so cores run unchanged under real and virtual time.
public struct Moment: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the timeline's origin.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The timeline's origin.
    public static let zero = Moment(nanoseconds: 0)

    public static func < (lhs: Moment, rhs: Moment) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public static func + (lhs: Moment, rhs: Duration) -> Moment {
        Moment(nanoseconds: lhs.nanoseconds &+ rhs.nanoseconds)
    }

    public static func - (lhs: Moment, rhs: Moment) -> Duration {
        .nanoseconds(lhs.nanoseconds &- rhs.nanoseconds)
    }

    /// Seconds since the origin, for logs and metrics.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public var description: String { "t+\(seconds)s" }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled &+ attoseconds / 1_000_000_000
    }

    /// The duration in seconds as a floating-point number.
    public var secondsDouble: Double { Double(nanoseconds) / 1e9 }

    /// `self` scaled by a floating-point factor.
    func scaled(by factor: Double) -> Duration {
        .nanoseconds(Int64((Double(nanoseconds) * factor).rounded()))
    }
}
