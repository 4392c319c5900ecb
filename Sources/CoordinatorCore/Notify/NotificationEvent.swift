import VigilCodec

/// One thing people are told about, with a key that names it for good: the same event has the
/// same key whichever leader derives or sends it (receivers dedupe on it: the webhook's
/// `webhook-id`), and no two events share one.
///
/// Keys are built from durable facts only:
/// - `execution.failed:<id>`, `execution.completed:<id>`, `execution.fenced:<id>`: an execution
///   ends once, so its id names the event;
/// - `execution.late:<id>:<stamp>` and `execution.recovered:<id>:<stamp>`: the stamp (Unix ms) of
///   the heartbeat the first strike judged stale (`never` when there was none), so a new leader
///   that recounts the same silence derives the same key, and a later silence a new one;
/// - `execution.stalled:<id>:<since>` and `execution.unstalled:<id>:<since>`: when the progress
///   last changed before the stall (Unix ms, a replicated fact), so a new leader names the same
///   stall alike;
/// - `node.dead:<node>:<n>`, `node.alive:<node>:<n>`, `monitor.degraded:<n>`,
///   `monitor.restored:<n>`: `n` counts that subject's changes in the store, so a new leader,
///   having read the store, numbers the next change as the old one would have;
///   `monitor.mass_failure:<n>` counts mass-failure episodes the same way.
///
/// What the key numbers (a late episode's stamp, a change's count, a reminder's number) is also
/// kept typed, as ``serial``: the outbox reads that, never the key's text.
public struct NotificationEvent: Sendable, Equatable {
    // The key and what it is built from are fixed at init, so ``serial`` always matches them.
    public private(set) var kind: EventKind
    public private(set) var key: String
    public private(set) var executionID: ExecutionID?
    /// The coordinator the event is about (`node.*`).
    public private(set) var subjectNode: String?
    /// The key's episode number, typed (`nil` for kinds whose key has none).
    public private(set) var serial: EventSerial?
    /// When the deciding fact was made durable (the writer's wall clock), Unix ms.
    public var occurredAtMs: Int64
    /// The node whose record holds the event.
    public var writer: String
    /// The leadership term of the decision (0 for a container's own report).
    public var term: UInt64
    /// The explanation: a failure mark's reason, a degraded sweep's cause.
    public var detail: String?
    /// The execution's container when the event was decided (for channel filters).
    public var container: String?
    /// The execution's kind (issue 24; for channels' `kinds` filter); `nil`: none.
    public var executionKind: String?

    public init(
        kind: EventKind, key: String, executionID: ExecutionID? = nil, subjectNode: String? = nil, occurredAtMs: Int64, writer: String,
        term: UInt64, detail: String? = nil, container: String? = nil, executionKind: String? = nil
    ) {
        self.executionKind = executionKind
        self.kind = kind
        self.key = key
        self.executionID = executionID
        self.subjectNode = subjectNode
        self.serial = EventSerial(key: key, kind: kind, executionID: executionID, subjectNode: subjectNode)
        self.occurredAtMs = occurredAtMs
        self.writer = writer
        self.term = term
        self.detail = detail
        self.container = container
    }

    // MARK: Keys

    public static func key(_ kind: EventKind, execution id: ExecutionID) -> String { "\(kind.rawValue):\(id)" }

    public static func key(_ kind: EventKind, execution id: ExecutionID, stamp: Int64?) -> String {
        "\(kind.rawValue):\(id):\(stamp.map(String.init) ?? "never")"
    }

    public static func key(_ kind: EventKind, node: String, sequence: UInt64) -> String { "\(kind.rawValue):\(node):\(sequence)" }

    public static func key(_ kind: EventKind, sequence: UInt64) -> String { "\(kind.rawValue):\(sequence)" }

    /// A store stall episode of `node`: its start generation and the stall's number in it.
    public static func key(_ kind: EventKind, node: String, generation: UInt64, stall: UInt64) -> String { "\(kind.rawValue):\(node):\(generation):\(stall)" }

    /// The `n`th reminder of a still-open episode (a node still dead, the monitor still degraded).
    public static func reminderKey(of key: String, number n: Int64) -> String { "\(key):reminder:\(n)" }

    /// A reminder of an earlier event (``reminderKey(of:number:)``), not a change of its own.
    public var isReminder: Bool { serial?.reminder != nil }

    // MARK: The record of an explicit event

    /// The payload of a `notificationEvent` record (writer, term and time are the record's).
    public var payload: [UInt8] {
        var out: [UInt8] = []
        BinaryFields.append(kind.rawValue, to: &out)
        BinaryFields.append(key, to: &out)
        if let executionID {
            out.append(1)
            out += executionID.bytes
        } else {
            out.append(0)
        }
        BinaryFields.append(optional: subjectNode, to: &out)
        BinaryFields.append(optional: detail, to: &out)
        BinaryFields.append(optional: container, to: &out)
        // Issue 24: the kind follows when there is one (records before it end here).
        if let executionKind { BinaryFields.append(optional: executionKind, to: &out) }
        return out
    }

    /// Decodes a `notificationEvent` record; `nil` for damaged bytes or an unknown kind.
    public init?(payload: [UInt8], writer: String, term: UInt64, timeMs: Int64) {
        var r = ByteReader(payload[...])
        guard let rawKind = BinaryFields.string(&r), let kind = EventKind(rawValue: rawKind), let key = BinaryFields.string(&r),
            let hasID = r.readByte()
        else { return nil }
        var id: ExecutionID?
        if hasID == 1 {
            guard let bytes = r.readBytes(16), let parsed = ExecutionID(bytes: bytes) else { return nil }
            id = parsed
        }
        guard let subject = BinaryFields.optionalString(&r), let detail = BinaryFields.optionalString(&r),
            let container = BinaryFields.optionalString(&r)
        else { return nil }
        var executionKind: String?
        if !r.isAtEnd {
            guard let read = BinaryFields.optionalString(&r), r.isAtEnd else { return nil }
            executionKind = read
        }
        self.init(
            kind: kind, key: key, executionID: id, subjectNode: subject, occurredAtMs: timeMs, writer: writer, term: term, detail: detail,
            container: container, executionKind: executionKind
        )
    }
}

/// The durable outcome of delivering one event to one channel.
public struct NotificationAck: Sendable, Equatable {
    public enum Outcome: UInt8, Sendable {
        /// The channel took it (a 2xx, exit status 0).
        case delivered = 1
        /// Retries ran past the horizon; given up.
        case undeliverable = 2
    }

    public var key: String
    public var channel: String
    public var outcome: Outcome
    public var attempts: Int
    public var lastError: String?

    public init(key: String, channel: String, outcome: Outcome, attempts: Int, lastError: String? = nil) {
        self.key = key
        self.channel = channel
        self.outcome = outcome
        self.attempts = attempts
        self.lastError = lastError
    }

    public var payload: [UInt8] {
        var out: [UInt8] = []
        BinaryFields.append(key, to: &out)
        BinaryFields.append(channel, to: &out)
        out.append(outcome.rawValue)
        Varint.append(UInt64(max(0, attempts)), to: &out)
        BinaryFields.append(optional: lastError, to: &out)
        return out
    }

    public init?(payload: [UInt8]) {
        var r = ByteReader(payload[...])
        guard let key = BinaryFields.string(&r), let channel = BinaryFields.string(&r), let raw = r.readByte(),
            let outcome = Outcome(rawValue: raw), let attempts = r.readVarint(), attempts < 1 << 31,
            let lastError = BinaryFields.optionalString(&r), r.isAtEnd
        else { return nil }
        self.init(key: key, channel: channel, outcome: outcome, attempts: Int(attempts), lastError: lastError)
    }
}
