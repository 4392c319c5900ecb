import Foundation
import CoordinatorCore
import VigilJSON

/// The JSON event a webhook receives (format `json`) and a command reads on stdin: the event,
/// its key, the execution as the sender sees it, times in UTC and in the configured zone, the
/// node that made the decision durable, the sender and the term.
public struct NotificationBody: Sendable {
    public let timestamps: TimestampFormatter
    /// The node sending.
    public let sender: String

    public init(timestamps: TimestampFormatter, sender: String) {
        self.timestamps = timestamps
        self.sender = sender
    }

    public func json(_ attempt: NotificationAttempt) -> JSONValue {
        guard attempt.members.isEmpty else { return groupJSON(attempt) }
        let event = attempt.event
        var o: [JSONObject.Member] = []
        func put(_ key: String, _ value: JSONValue) { o.append(.init(key: key, value: value)) }
        func time(_ key: String, _ ms: Int64?) {
            guard let ms else {
                put(key, .null)
                put(key + "_utc", .null)
                return
            }
            put(key, .string(timestamps.iso8601(unixMs: ms)))
            put(key + "_utc", .string(TimestampFormatter.utc.iso8601(unixMs: ms)))
        }
        put("event", .string(event.kind.rawValue))
        put("key", .string(event.key))
        put("summary", .string(summary(attempt)))
        put("reminder", .bool(event.isReminder))
        time("occurred_at", event.occurredAtMs)
        put("execution_id", event.executionID.map { .string($0.description) } ?? .null)
        if let subject = event.subjectNode { put(event.kind.isServiceEvent ? "service" : "subject_node", .string(subject)) }
        let execution = attempt.execution
        put("container_id", (execution?.containerID ?? event.container).flatMap { $0.isEmpty ? nil : JSONValue.string($0) } ?? .null)
        put("status", execution.map { .string($0.status.description) } ?? .null)
        put("reason", (event.detail ?? execution?.reason).map { .string($0) } ?? .null)
        put("progress", execution?.progress.map { .object($0) } ?? .null)
        put("strikes", execution.map { .int(Int64($0.strikes)) } ?? .null)
        put("heartbeat_count", execution.map { .int(Int64($0.heartbeatCount)) } ?? .null)
        time("registered_at", execution?.registeredAtMs)
        time("last_heartbeat", execution?.lastHeartbeatMs)
        time("finished_at", execution?.finishedAtMs)
        put("timezone", .string(timestamps.timeZone.identifier))
        put("node", .string(event.writer))
        put("sender", .string(sender))
        put("term", .int(Int64(attempt.term)))
        put("decided_in_term", .int(Int64(event.term)))
        put("attempt", .int(Int64(attempt.attempt)))
        put("channel", .string(attempt.target.channel))
        return .object(JSONObject(o))
    }

    /// A group: the envelope (its own key), then each event in full under `events`, each with
    /// its own `key` (receivers that dedupe events, not messages, use those).
    private func groupJSON(_ attempt: NotificationAttempt) -> JSONValue {
        let events = attempt.members.map { member in
            json(NotificationAttempt(target: .init(key: member.event.key, channel: attempt.target.channel), event: member.event, attempt: attempt.attempt, term: attempt.term, execution: member.execution))
        }
        return .object(JSONObject([
            .init(key: "event", value: .string(attempt.event.kind.rawValue)),
            .init(key: "key", value: .string(attempt.event.key)),
            .init(key: "group", value: .bool(true)),
            .init(key: "count", value: .int(Int64(attempt.members.count))),
            .init(key: "summary", value: .string(summary(attempt))),
            .init(key: "occurred_at", value: .string(timestamps.iso8601(unixMs: attempt.event.occurredAtMs))),
            .init(key: "occurred_at_utc", value: .string(TimestampFormatter.utc.iso8601(unixMs: attempt.event.occurredAtMs))),
            .init(key: "sender", value: .string(sender)),
            .init(key: "term", value: .int(Int64(attempt.term))),
            .init(key: "attempt", value: .int(Int64(attempt.attempt))),
            .init(key: "channel", value: .string(attempt.target.channel)),
            .init(key: "events", value: .array(events)),
        ]))
    }

    /// One line for people (Slack text, plain-text channels).
    public func summary(_ attempt: NotificationAttempt) -> String {
        if !attempt.members.isEmpty {
            let names = attempt.members.prefix(5).map { member in
                member.execution?.containerID.nilIfEmpty ?? member.event.container?.nilIfEmpty ?? member.event.executionID?.description ?? member.event.subjectNode ?? member.event.key
            }
            let more = attempt.members.count > 5 ? ", … (\(attempt.members.count - 5) more)" : ""
            return "[vigil] \(attempt.members.count) × \(attempt.event.kind.rawValue): \(names.joined(separator: ", "))\(more)"
        }
        let event = attempt.event
        var subject = event.executionID.map { "execution \($0)" } ?? event.subjectNode.map { (event.kind.isServiceEvent ? "service " : "node ") + $0 } ?? "the monitor"
        if let container = attempt.execution?.containerID ?? event.container, !container.isEmpty { subject += " (container \(container))" }
        let what: String =
            switch event.kind {
            case .executionLate: "is late: its heartbeat is overdue (first strike)"
            case .executionRecovered: "heartbeats again after a strike"
            case .executionFailed: "FAILED"
            case .executionCompleted: "completed"
            case .executionFenced: "got a heartbeat after it finished (zombie container?)"
            case .executionStalled: "is STALLED: it heartbeats but its progress has not changed"
            case .executionUnstalled: "moves again: its progress changed after a stall"
            case .nodeDead: "is dead"
            case .nodeAlive: "is alive again"
            case .monitorDegraded: "is degraded: it may be blind, so first strikes are held for a while"
            case .monitorRestored: "judges normally again"
            case .monitorMassFailure: "sees a mass failure: many executions went silent at once while it was healthy"
            case .notificationTest: "sends a test notification"
            case .serviceDown: "is DOWN"
            case .serviceRepaired: "was repaired"
            case .serviceRepairFailed: "could not be repaired"
            case .serviceRepairExhausted: "is still down; repairs stopped"
            case .serviceUp: "is up again"
            case .storeStalled: "has a stalled store: it does not lead and refuses durable requests until the store answers"
            case .storeRecovered: "has a store that answers again"
            }
        var line = "[vigil]\(event.isReminder ? " reminder:" : "") \(subject) \(what)"
        if let detail = event.detail ?? attempt.execution?.reason { line += ": \(detail)" }
        return line
    }

    /// The body for a channel's format.
    public func body(_ attempt: NotificationAttempt, format: ChannelSettings.Format) -> [UInt8] {
        switch format {
        case .json: JSONWriter.encode(json(attempt))
        case .slack: JSONWriter.encode(.object(JSONObject([.init(key: "text", value: .string(summary(attempt)))])))
        case .text: Array((summary(attempt) + "\n").utf8)
        }
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
