import VigilCodec

/// One execution's strike count as a sweep leader recorded it.
public struct StrikeEntry: Sendable, Equatable {
    public var executionID: ExecutionID
    public var strikes: Int
    /// The newest heartbeat the leader judged (its origin stamp, Unix ms; `nil` = never
    /// heartbeated). A node that knows a newer heartbeat ignores the entry.
    public var lastHeartbeatMs: Int64?
    /// Wall-clock ms of each striking sweep, oldest first.
    public var strikeTimesMs: [Int64]

    public init(executionID: ExecutionID, strikes: Int, lastHeartbeatMs: Int64?, strikeTimesMs: [Int64]) {
        self.executionID = executionID
        self.strikes = strikes
        self.lastHeartbeatMs = lastHeartbeatMs
        self.strikeTimesMs = strikeTimesMs
    }
}

/// The payload of a `strikeBatch` store record: every strike one sweep gave, so a new leader
/// continues the count. Compact binary: count, then per entry the 16-byte id, strikes, the
/// judged heartbeat stamp (zigzag varint, 0 = none) and the strike times (count + zigzag deltas).
public enum StrikeBatch {
    public static func encode(_ entries: [StrikeEntry]) -> [UInt8] {
        var out: [UInt8] = []
        Varint.append(UInt64(entries.count), to: &out)
        for entry in entries {
            out += entry.executionID.bytes
            Varint.append(UInt64(max(0, entry.strikes)), to: &out)
            Varint.append(entry.lastHeartbeatMs.map { Varint.zigzag($0) &+ 1 } ?? 0, to: &out)
            Varint.append(UInt64(entry.strikeTimesMs.count), to: &out)
            var previous: Int64 = 0
            for time in entry.strikeTimesMs {
                Varint.append(Varint.zigzag(time &- previous), to: &out)
                previous = time
            }
        }
        return out
    }

    /// `nil` when the payload is malformed.
    public static func decode(_ bytes: [UInt8]) -> [StrikeEntry]? {
        var reader = ByteReader(bytes[...])
        guard let count = reader.readVarint(), count <= UInt64(bytes.count) else { return nil }
        var entries: [StrikeEntry] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let idBytes = reader.readBytes(16), let id = ExecutionID(bytes: idBytes), let strikes = reader.readVarint(), strikes <= 255,
                let stamp = reader.readVarint(), let times = reader.readVarint(), times <= 255
            else { return nil }
            var strikeTimes: [Int64] = []
            var previous: Int64 = 0
            for _ in 0..<times {
                guard let delta = reader.readVarint() else { return nil }
                previous = previous &+ Varint.unzigzag(delta)
                strikeTimes.append(previous)
            }
            entries.append(StrikeEntry(
                executionID: id, strikes: Int(strikes), lastHeartbeatMs: stamp == 0 ? nil : Varint.unzigzag(stamp &- 1), strikeTimesMs: strikeTimes
            ))
        }
        return reader.remaining == 0 ? entries : nil
    }
}
