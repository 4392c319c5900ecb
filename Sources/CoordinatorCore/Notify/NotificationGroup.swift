import VigilCodec

/// Several events of one kind sent to one channel as one message (a burst: many executions
/// failed in one sweep). The leader decides a group and makes it durable *before* sending it, so
/// whoever sends it later sends the same members under the same key; receivers dedupe the
/// message by the group's key and each event by its own (`events[].key` in the body).
public struct NotificationGroup: Sendable, Equatable {
    /// `group:<channel>:<first member's key>` (a member is in one group only).
    public var key: String
    public var channel: String
    public var kind: EventKind
    public var members: [NotificationEvent]

    public init(channel: String, kind: EventKind, members: [NotificationEvent]) {
        self.key = "group:\(channel):\(members.first?.key ?? "")"
        self.channel = channel
        self.kind = kind
        self.members = members
    }

    /// The one event the group is delivered as.
    public var event: NotificationEvent {
        NotificationEvent(
            kind: kind, key: key, occurredAtMs: members.map(\.occurredAtMs).min() ?? 0, writer: members.first?.writer ?? "",
            term: members.map(\.term).max() ?? 0, detail: "\(members.count) \(kind.rawValue) events"
        )
    }

    /// The payload of a `notificationGroup` record: channel, kind, then each member in full
    /// (writer, term, time, event payload), so the record alone is enough to send the group.
    public var payload: [UInt8] {
        var out: [UInt8] = []
        BinaryFields.append(channel, to: &out)
        BinaryFields.append(kind.rawValue, to: &out)
        Varint.append(UInt64(members.count), to: &out)
        for member in members {
            BinaryFields.append(member.writer, to: &out)
            Varint.append(member.term, to: &out)
            BinaryFields.appendSigned(member.occurredAtMs, to: &out)
            let bytes = member.payload
            Varint.append(UInt64(bytes.count), to: &out)
            out += bytes
        }
        return out
    }

    /// `nil` for damaged bytes.
    public init?(payload: [UInt8]) {
        var r = ByteReader(payload[...])
        guard let channel = BinaryFields.string(&r), let rawKind = BinaryFields.string(&r), let kind = EventKind(rawValue: rawKind),
            let count = r.readVarint(), count >= 1, count <= UInt64(r.remaining)
        else { return nil }
        var members: [NotificationEvent] = []
        for _ in 0..<count {
            guard let writer = BinaryFields.string(&r), let term = r.readVarint(), let time = BinaryFields.signed(&r), let length = r.readVarint(),
                length <= UInt64(r.remaining), let bytes = r.readBytes(Int(length)),
                let event = NotificationEvent(payload: Array(bytes), writer: writer, term: term, timeMs: time)
            else { return nil }
            members.append(event)
        }
        guard r.isAtEnd else { return nil }
        self.init(channel: channel, kind: kind, members: members)
    }
}

/// One member of a grouped attempt, with its execution as the sender sees it.
public struct NotificationMember: Sendable, Equatable {
    public var event: NotificationEvent
    public var execution: NotificationContext?

    public init(event: NotificationEvent, execution: NotificationContext? = nil) {
        self.event = event
        self.execution = execution
    }
}
