import VigilCodec

/// A probed service's durable state, as the leader decided it: a new leader continues the
/// failure count, respects the cooldown of a repair its predecessor started, and numbers the
/// next episode and repair as the old one would have. Each change is one record holding the
/// whole state and the events it carries (the change *is* its notification events).
public struct ServiceState: Sendable, Equatable {
    public var name: String
    /// Consecutive failed probes that counted (not in a startup grace).
    public var failures = 0
    public var down = false
    /// Down episodes so far (the `service.down`/`service.up` keys).
    public var downSequence: UInt64 = 0
    /// Repairs started so far (the `service.repaired`/`service.repair_failed` keys).
    public var repairNumber: UInt64 = 0
    /// A repair started and not yet reported ended.
    public var repairing = false
    /// Starts of the repairs within the window (wall ms).
    public var repairTimesMs: [Int64] = []
    public var lastRepairAtMs: Int64?
    /// The cooldown after the last repair's start.
    public var cooldownMs: Int64 = 0
    /// The service passed probes since the last repair (else the next repair backs off).
    public var helpedSinceRepair = true
    /// Failed probes do not count before this time (wall ms): a repaired service boots.
    public var graceUntilMs: Int64?
    /// Repairs stopped for this episode (``ServiceRule/maxRepairs`` within the window).
    public var exhausted = false
    /// The last repair's outcome for people: `ok` or what failed, with the output tail.
    public var lastRepairOutcome: String?
    /// What this change tells people.
    public var events: [EventKind] = []

    public init(name: String) {
        self.name = name
    }

    /// The key of one of this change's events.
    public func key(_ kind: EventKind) -> String {
        switch kind {
        case .serviceRepaired, .serviceRepairFailed: "\(kind.rawValue):\(name):\(repairNumber)"
        default: "\(kind.rawValue):\(name):\(downSequence)"
        }
    }

    public var payload: [UInt8] {
        var out: [UInt8] = []
        BinaryFields.append(name, to: &out)
        Varint.append(UInt64(max(0, failures)), to: &out)
        out.append((down ? 1 : 0) | (repairing ? 2 : 0) | (helpedSinceRepair ? 4 : 0) | (exhausted ? 8 : 0))
        Varint.append(downSequence, to: &out)
        Varint.append(repairNumber, to: &out)
        Varint.append(UInt64(repairTimesMs.count), to: &out)
        for time in repairTimesMs { BinaryFields.appendSigned(time, to: &out) }
        BinaryFields.appendSigned(lastRepairAtMs ?? .min, to: &out)
        BinaryFields.appendSigned(cooldownMs, to: &out)
        BinaryFields.appendSigned(graceUntilMs ?? .min, to: &out)
        BinaryFields.append(optional: lastRepairOutcome, to: &out)
        Varint.append(UInt64(events.count), to: &out)
        for event in events { BinaryFields.append(event.rawValue, to: &out) }
        return out
    }

    public init?(payload: [UInt8]) {
        var r = ByteReader(payload[...])
        guard let name = BinaryFields.string(&r), let failures = r.readVarint(), failures < 1 << 20, let flags = r.readByte(),
            let downSequence = r.readVarint(), let repairNumber = r.readVarint(), let count = r.readVarint(), count <= UInt64(r.remaining)
        else { return nil }
        self.init(name: name)
        self.failures = Int(failures)
        down = flags & 1 != 0
        repairing = flags & 2 != 0
        helpedSinceRepair = flags & 4 != 0
        exhausted = flags & 8 != 0
        self.downSequence = downSequence
        self.repairNumber = repairNumber
        for _ in 0..<count {
            guard let time = BinaryFields.signed(&r) else { return nil }
            repairTimesMs.append(time)
        }
        guard let last = BinaryFields.signed(&r), let cooldown = BinaryFields.signed(&r), let grace = BinaryFields.signed(&r),
            let outcome = BinaryFields.optionalString(&r), let eventCount = r.readVarint(), eventCount <= 8
        else { return nil }
        lastRepairAtMs = last == .min ? nil : last
        cooldownMs = cooldown
        graceUntilMs = grace == .min ? nil : grace
        lastRepairOutcome = outcome
        for _ in 0..<eventCount {
            guard let raw = BinaryFields.string(&r), let kind = EventKind(rawValue: raw) else { return nil }
            events.append(kind)
        }
        guard r.isAtEnd else { return nil }
    }
}
