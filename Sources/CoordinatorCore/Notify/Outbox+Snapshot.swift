import VigilCodec

extension Outbox {
    /// The outbox's durable-derived state for a node snapshot: the events still owed, the keys
    /// and acknowledgements within the horizon, and what derives the next keys. Attempts and
    /// retry times are not in it (a leader that restarts starts the retries afresh).
    public var snapshotPayload: [UInt8] {
        var out: [UInt8] = []
        var owed: [String: NotificationEvent] = [:]
        for item in pending.values where pendingGroups[item.event.key] == nil { owed[item.event.key] = item.event }
        Varint.append(UInt64(owed.count), to: &out)
        for event in owed.values.sorted(by: { ($0.occurredAtMs, $0.key) < ($1.occurredAtMs, $1.key) }) {
            BinaryFields.append(event.writer, to: &out)
            Varint.append(event.term, to: &out)
            BinaryFields.appendSigned(event.occurredAtMs, to: &out)
            Self.appendBytes(event.payload, to: &out)
        }
        Varint.append(UInt64(known.count), to: &out)
        for (key, time) in known.sorted(by: { $0.key < $1.key }) {
            BinaryFields.append(key, to: &out)
            BinaryFields.appendSigned(time, to: &out)
        }
        Varint.append(UInt64(acked.count), to: &out)
        for (target, time) in acked.sorted(by: { ($0.key.key, $0.key.channel) < ($1.key.key, $1.key.channel) }) {
            BinaryFields.append(target.key, to: &out)
            BinaryFields.append(target.channel, to: &out)
            BinaryFields.appendSigned(time, to: &out)
        }
        Varint.append(UInt64(openLate.count), to: &out)
        for (id, stamp) in openLate.sorted(by: { $0.key < $1.key }) {
            out += id.bytes
            Varint.append(stamp.map { Varint.zigzag($0) &+ 1 } ?? 0, to: &out)
        }
        Varint.append(UInt64(nodeChanges.count), to: &out)
        for (node, change) in nodeChanges.sorted(by: { $0.key < $1.key }) {
            BinaryFields.append(node, to: &out)
            out.append(change.dead ? 1 : 0)
            Varint.append(change.sequence, to: &out)
            BinaryFields.appendSigned(change.sinceMs, to: &out)
        }
        out.append(monitor.dead ? 1 : 0)
        Varint.append(monitor.sequence, to: &out)
        BinaryFields.appendSigned(monitor.sinceMs, to: &out)
        Varint.append(UInt64(pendingGroups.count), to: &out)
        for group in pendingGroups.values.sorted(by: { $0.key < $1.key }) { Self.appendBytes(group.payload, to: &out) }
        return out
    }

    /// Restores ``snapshotPayload``; `false` (and nothing changed) when the bytes are damaged.
    public mutating func restore(snapshot bytes: [UInt8], now: NodeNow) -> Bool {
        var r = ByteReader(bytes[...])
        var events: [NotificationEvent] = []
        var keys: [(String, Int64)] = []
        var acks: [(Target, Int64)] = []
        var late: [(ExecutionID, Int64?)] = []
        var nodes: [(String, NodeChange)] = []
        guard let eventCount = r.readVarint(), eventCount <= UInt64(r.remaining) else { return false }
        for _ in 0..<eventCount {
            guard let writer = BinaryFields.string(&r), let term = r.readVarint(), let time = BinaryFields.signed(&r), let payload = Self.readBytes(&r),
                let event = NotificationEvent(payload: payload, writer: writer, term: term, timeMs: time)
            else { return false }
            events.append(event)
        }
        guard let keyCount = r.readVarint(), keyCount <= UInt64(r.remaining) else { return false }
        for _ in 0..<keyCount {
            guard let key = BinaryFields.string(&r), let time = BinaryFields.signed(&r) else { return false }
            keys.append((key, time))
        }
        guard let ackCount = r.readVarint(), ackCount <= UInt64(r.remaining) else { return false }
        for _ in 0..<ackCount {
            guard let key = BinaryFields.string(&r), let channel = BinaryFields.string(&r), let time = BinaryFields.signed(&r) else { return false }
            acks.append((Target(key: key, channel: channel), time))
        }
        guard let lateCount = r.readVarint(), lateCount <= UInt64(r.remaining) else { return false }
        for _ in 0..<lateCount {
            guard let idBytes = r.readBytes(16), let id = ExecutionID(bytes: idBytes), let stamp = r.readVarint() else { return false }
            late.append((id, stamp == 0 ? nil : Varint.unzigzag(stamp &- 1)))
        }
        guard let nodeCount = r.readVarint(), nodeCount <= UInt64(r.remaining) else { return false }
        for _ in 0..<nodeCount {
            guard let node = BinaryFields.string(&r), let dead = r.readByte(), let sequence = r.readVarint(), let since = BinaryFields.signed(&r) else { return false }
            nodes.append((node, NodeChange(dead: dead == 1, sequence: sequence, sinceMs: since)))
        }
        guard let monitorDead = r.readByte(), let monitorSequence = r.readVarint(), let monitorSince = BinaryFields.signed(&r),
            let groupCount = r.readVarint(), groupCount <= UInt64(r.remaining)
        else { return false }
        var groups: [NotificationGroup] = []
        for _ in 0..<groupCount {
            guard let bytes = Self.readBytes(&r), let group = NotificationGroup(payload: bytes) else { return false }
            groups.append(group)
        }
        guard r.isAtEnd else { return false }
        for (target, time) in acks { acknowledge(NotificationAck(key: target.key, channel: target.channel, outcome: .delivered, attempts: 0), atMs: time) }
        history = []
        for event in events { record(event, now: now) }
        for (key, time) in keys { markKnown(key, at: time) }
        for (id, stamp) in late { openLate[id] = stamp }
        rebuildOpenStalls()
        for (node, change) in nodes { nodeChanges[node] = change }
        monitor = NodeChange(dead: monitorDead == 1, sequence: monitorSequence, sinceMs: monitorSince)
        for group in groups { applyGroup(group, now: now) }
        return true
    }

    private static func appendBytes(_ bytes: [UInt8], to out: inout [UInt8]) {
        Varint.append(UInt64(bytes.count), to: &out)
        out += bytes
    }

    private static func readBytes(_ r: inout ByteReader) -> [UInt8]? {
        guard let n = r.readVarint(), n <= UInt64(r.remaining), let bytes = r.readBytes(Int(n)) else { return nil }
        return Array(bytes)
    }
}
