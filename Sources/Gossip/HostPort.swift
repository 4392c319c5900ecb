/// A `host:port` pair: where a node listens (HTTP or gossip) and where a gossip peer is reached.
/// The one address type of the project; IPv6 hosts are written in brackets (`[::1]:8000`).
///
/// Plain data, so the pure cores and the simulator need no sockets; the shells convert to and
/// from NIO's `SocketAddress`.
public struct HostPort: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The host: an IP literal or a name; at most ``maxHostBytes`` UTF-8 bytes (the gossip wire
    /// format carries it).
    public var host: String
    /// The port (0 asks the system for a free one when binding).
    public var port: UInt16

    /// The longest host the gossip wire format carries.
    public static let maxHostBytes = 64

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, or `[v6]:port` for an IPv6 host; `nil` when malformed, when the port
    /// is outside 0...65535, or when an IPv6 host is not bracketed (`::1:8000` is ambiguous).
    public init?(_ text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, host.utf8.count <= Self.maxHostBytes, portText.allSatisfy(\.isASCII), let port = UInt16(portText) else { return nil }
        self.init(host: String(host), port: port)
    }

    public static func < (lhs: HostPort, rhs: HostPort) -> Bool { (lhs.host, lhs.port) < (rhs.host, rhs.port) }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension HostPort {
    /// Whether the host is a loopback address (127.0.0.0/8, `::1`, `localhost`): only this
    /// machine can send to it.
    public var isLoopback: Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" || h.hasPrefix("127.")
    }
}
