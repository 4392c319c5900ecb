import Crypto

/// The cluster keys that seal gossip datagrams: the first key seals, every key opens.
///
/// Rotation without downtime: add the new key second on every node, then move it first on every
/// node, then remove the old one. Each sealed datagram names its key by a one-byte tag (the first
/// byte of the key's SHA-256), so opening tries only matching keys.
public struct GossipKeyring: Sendable {
    /// The AEAD used to seal (opening follows the cipher flag of each datagram).
    public enum Cipher: Sendable, Hashable {
        case chaChaPoly
        case aesGCM
    }

    /// The sealing cipher.
    public let cipher: Cipher
    let keys: [(tag: UInt8, key: SymmetricKey)]

    /// A keyring of 32-byte keys; the first seals.
    ///
    /// - Throws: ``GossipConfigurationError`` when the list is empty or a key is not 32 bytes.
    public init(keys: [SymmetricKey], cipher: Cipher = .chaChaPoly) throws(GossipConfigurationError) {
        guard !keys.isEmpty else { throw GossipConfigurationError(code: .invalidKey, detail: "gossip.key: the keyring is empty") }
        for (index, key) in keys.enumerated() where key.bitCount != 256 {
            throw GossipConfigurationError(code: .invalidKey, detail: "gossip.key[\(index)]: must be 32 bytes, is \(key.bitCount / 8)")
        }
        self.cipher = cipher
        self.keys = keys.map { key in
            let digest = key.withUnsafeBytes { SHA256.hash(data: Array($0)) }
            return (Array(digest)[0], key)
        }
    }

    /// A keyring from base64 strings, each encoding 32 bytes; the first seals.
    ///
    /// - Throws: ``GossipConfigurationError`` naming the first key that is not base64 of 32 bytes.
    public init(base64Keys: [String], cipher: Cipher = .chaChaPoly) throws(GossipConfigurationError) {
        var keys: [SymmetricKey] = []
        for (index, text) in base64Keys.enumerated() {
            guard let bytes = Base64.decode(text), bytes.count == 32 else {
                throw GossipConfigurationError(code: .invalidKey, detail: "gossip.key[\(index)]: not base64 of exactly 32 bytes")
            }
            keys.append(SymmetricKey(data: bytes))
        }
        try self.init(keys: keys, cipher: cipher)
    }

    /// A short public name for a base64 key: the first 4 bytes of its SHA-256, in hex. Shown by
    /// `vigil keyring list` and gossiped between nodes instead of the key itself.
    public static func fingerprint(base64 text: String) -> String? {
        guard let bytes = Base64.decode(text), bytes.count == 32 else { return nil }
        return SHA256.hash(data: bytes).prefix(4).map { byte in
            let hex = Array("0123456789abcdef")
            return String([hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }.joined()
    }

    /// Seals `plaintext`, authenticating `header` too: key tag, nonce, ciphertext, tag.
    func seal(_ plaintext: [UInt8], header: [UInt8]) -> [UInt8] {
        let (tag, key) = keys[0]
        var out: [UInt8] = [tag]
        switch cipher {
        case .chaChaPoly:
            // Sealing with a fresh random nonce cannot fail for in-memory inputs of this size.
            if let box = try? ChaChaPoly.seal(plaintext, using: key, authenticating: header) { out += box.combined }
        case .aesGCM:
            if let box = try? AES.GCM.seal(plaintext, using: key, authenticating: header), let combined = box.combined { out += combined }
        }
        return out
    }

    /// Opens a sealed payload with the key its tag names; `nil` when no key opens it.
    func open(_ sealed: ArraySlice<UInt8>, header: ArraySlice<UInt8>, cipher: Cipher) -> [UInt8]? {
        guard let tag = sealed.first, sealed.count >= WireSize.sealOverhead else { return nil }
        let box = sealed.dropFirst()
        for (keyTag, key) in keys where keyTag == tag {
            switch cipher {
            case .chaChaPoly:
                if let sealedBox = try? ChaChaPoly.SealedBox(combined: box), let plain = try? ChaChaPoly.open(sealedBox, using: key, authenticating: header) {
                    return Array(plain)
                }
            case .aesGCM:
                if let sealedBox = try? AES.GCM.SealedBox(combined: box), let plain = try? AES.GCM.open(sealedBox, using: key, authenticating: header) {
                    return Array(plain)
                }
            }
        }
        return nil
    }
}

/// A gossip setting that cannot be used, naming the key.
public struct GossipConfigurationError: Error, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        case invalidKey
        case invalidSetting
    }

    public var code: Code
    public var detail: String

    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { detail }
}

/// Minimal standard base64 decoding (with or without padding), so keys need no Foundation.
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for scalar in text.unicodeScalars {
            switch scalar {
            case "A"..."Z": values.append(UInt8(scalar.value - 65))
            case "a"..."z": values.append(UInt8(scalar.value - 97 + 26))
            case "0"..."9": values.append(UInt8(scalar.value - 48 + 52))
            case "+", "-": values.append(62)
            case "/", "_": values.append(63)
            case "=", "\n", "\r", " ": continue
            default: return nil
            }
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            var word: UInt32 = 0
            for (offset, value) in chunk.enumerated() { word |= UInt32(value) << UInt32(18 - 6 * offset) }
            let bytes = [UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)]
            out += bytes.prefix(chunk.count - 1)
            index += 4
        }
        return out
    }

    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var word: UInt32 = 0
            for (offset, byte) in chunk.enumerated() { word |= UInt32(byte) << UInt32(16 - 8 * offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[Int(word >> UInt32(18 - 6 * position) & 0x3F)] : "=")
            }
            index += 3
        }
        return out
    }
}
