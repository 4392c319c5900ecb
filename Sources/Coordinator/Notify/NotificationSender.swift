import CoordinatorCore

/// Carries a notification attempt to its channel (a webhook, a command) and says how it went.
/// Production uses `ChannelSender` (module Outbound); tests inject their own.
public protocol NotificationSender: Sendable {
    func deliver(_ attempt: NotificationAttempt) async -> DeliveryResult
    /// Releases the sender's clients; called once by the ``NodeDriver`` after its last attempt.
    func shutdown() async
}

extension NotificationSender {
    public func shutdown() async {}
}
