import Foundation

/// Formats instants for people: ISO-8601 with the UTC offset of the configured time zone
/// (seed 000's `TIMEZONE`, default `Asia/Shanghai`).
///
/// Times are for display only; liveness decisions never use wall-clock times.
public struct TimestampFormatter: Sendable {
    public let timeZone: TimeZone

    /// `nil` when the identifier is not a known IANA time zone.
    public init?(timeZoneIdentifier: String) {
        guard let zone = TimeZone(identifier: timeZoneIdentifier) else { return nil }
        self.timeZone = zone
    }

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// Times in UTC.
    public static let utc = TimestampFormatter(timeZone: .gmt)

    /// `2024-01-01T18:00:00.000+08:00` for the given Unix milliseconds.
    public func iso8601(unixMs: Int64) -> String {
        let offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(unixMs) / 1000)))
        let localMs = unixMs + offset * 1000
        let (days, msOfDay) = localMs.floorDivMod(86_400_000)
        let (year, month, day) = Self.civil(fromDays: days)
        let seconds = msOfDay / 1000
        var text = "\(Self.pad(year, 4))-\(Self.pad(month, 2))-\(Self.pad(day, 2))T"
        text += "\(Self.pad(seconds / 3600, 2)):\(Self.pad(seconds / 60 % 60, 2)):\(Self.pad(seconds % 60, 2)).\(Self.pad(msOfDay % 1000, 3))"
        if offset == 0 { return text + "Z" }
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset)
        return text + "\(sign)\(Self.pad(magnitude / 3600, 2)):\(Self.pad(magnitude / 60 % 60, 2))"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Proleptic Gregorian date for days since 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, with a non-negative remainder.
    func floorDivMod(_ divisor: Int64) -> (Int64, Int64) {
        let q = self / divisor
        let r = self % divisor
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}
