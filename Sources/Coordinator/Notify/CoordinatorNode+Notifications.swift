import CoordinatorCore
import Foundation

extension CoordinatorNode {
    /// The outbox as this node sees it, for `GET /api/v1/notifications`.
    public struct NotificationsView: Sendable {
        /// Deliveries owed, oldest event first (attempts and errors are known to the leader).
        public var pending: [Outbox.Pending]
        /// Deliveries settled recently (delivered or undeliverable), oldest first.
        public var finished: [Outbox.Finished]
        public var inFlight: Int
        /// This node sends (it leads, its term is durable and it has read the store).
        public var delivering: Bool
        public var channels: [String]
    }

    public var notifications: NotificationsView {
        read { core in
            NotificationsView(
                pending: core.outbox.pendingList, finished: core.outbox.history, inFlight: core.outbox.attemptsInFlight, delivering: core.mayDeliver,
                channels: core.outbox.settings.channels.map(\.name)
            )
        }
    }

    /// Sends a `notification.test` event to one channel now, outside the outbox (nothing is
    /// recorded). `nil` when no channel has that name.
    public func sendTest(channel: String) async -> (key: String, result: DeliveryResult)? {
        guard configuration.notifications.channel(channel) != nil else { return nil }
        let now = clocks.now()
        let key = "notification.test:\(id):\(UUID().uuidString.lowercased())"
        let event = NotificationEvent(
            kind: .notificationTest, key: key, subjectNode: id, occurredAtMs: now.wall.ms, writer: id, term: sweepStatus.term,
            detail: "a test from vigil notify test \(channel)"
        )
        let attempt = NotificationAttempt(target: .init(key: key, channel: channel), event: event, attempt: 1, term: sweepStatus.term)
        let result = await driver.effects.notifier?.deliver(attempt) ?? .failed("no notification sender is configured on this node")
        return (key, result)
    }
}
