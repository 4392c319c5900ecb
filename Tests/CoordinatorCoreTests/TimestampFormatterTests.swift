import CoordinatorCore
import VigilJSON
import Testing

@Suite struct TimestampFormatterTests {
    @Test func formatsInTheConfiguredZone() throws {
        let shanghai = try #require(TimestampFormatter(timeZoneIdentifier: "Asia/Shanghai"))
        #expect(shanghai.iso8601(unixMs: 1_640_995_200_000) == "2022-01-01T08:00:00.000+08:00")
        let utc = try #require(TimestampFormatter(timeZoneIdentifier: "UTC"))
        #expect(utc.iso8601(unixMs: 1_640_995_200_123) == "2022-01-01T00:00:00.123Z")
        #expect(utc.iso8601(unixMs: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
        let newYork = try #require(TimestampFormatter(timeZoneIdentifier: "America/New_York"))
        #expect(newYork.iso8601(unixMs: 1_640_995_200_000) == "2021-12-31T19:00:00.000-05:00")
        #expect(newYork.iso8601(unixMs: 1_656_633_600_000) == "2022-06-30T20:00:00.000-04:00")  // DST
    }

    @Test func rejectsUnknownZones() {
        #expect(TimestampFormatter(timeZoneIdentifier: "Mars/Olympus") == nil)
    }
}
