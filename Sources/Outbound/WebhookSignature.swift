import Coordinator
import Crypto
import Foundation

/// Standard Webhooks signing: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
/// keyed with the channel's `whsec_…` secret, so receivers verify with an existing library
/// (`standardwebhooks`, `svix`) and dedupe on `webhook-id`.
public enum WebhookSignature {
    /// The three headers of a signed delivery.
    public static func headers(id: String, timestamp: Int64, body: [UInt8], secret: WebhookSecret) -> [(name: String, value: String)] {
        [
            ("webhook-id", id),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", "v1," + signature(id: id, timestamp: timestamp, body: body, secret: secret)),
        ]
    }

    /// The base64 HMAC-SHA256 of `id.timestamp.body`.
    public static func signature(id: String, timestamp: Int64, body: [UInt8], secret: WebhookSecret) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret.key))
        return Data(mac).base64EncodedString()
    }
}
