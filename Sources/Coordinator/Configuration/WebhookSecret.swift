import Foundation

/// A Standard Webhooks signing secret: `whsec_` and the base64 of the key bytes.
public struct WebhookSecret: Sendable, Equatable {
    /// The HMAC-SHA256 key.
    public let key: [UInt8]

    /// `nil` unless `text` is `whsec_` followed by base64 of 24 to 64 bytes.
    public init?(_ text: String) {
        guard text.hasPrefix("whsec_"), let data = Data(base64Encoded: String(text.dropFirst(6))), (24...64).contains(data.count) else { return nil }
        key = Array(data)
    }
}
