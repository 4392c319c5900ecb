extension Duration {
    /// The duration in whole milliseconds, truncated toward zero (saturating at the ends of
    /// `Int64`): the unit of the pure core (``CoordinatorCore/SweepRule``,
    /// ``CoordinatorCore/Outbox/Settings``, ``CoordinatorCore/ServiceRule``). Configuration holds
    /// `Duration`s from the file on; this is the one place they become milliseconds.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (sum, carry) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !overflow, !carry else { return seconds < 0 ? .min : .max }
        return sum
    }
}
