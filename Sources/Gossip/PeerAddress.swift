/// Where a gossip peer listens: a host (an IP literal in practice) and a UDP port.
///
/// Kept as plain data so the pure cores and the simulator need no sockets; the UDP shell converts
/// to and from NIO's `SocketAddress`.
public struct PeerAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The host, e.g. `127.0.0.1`; at most ``maxHostBytes`` UTF-8 bytes on the wire.
    public var host: String
    /// The UDP port.
    public var port: UInt16

    /// The longest host the wire format carries.
    public static let maxHostBytes = 64

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (or `[v6]:port`); `nil` when malformed.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.utf8.count <= Self.maxHostBytes else { return nil }
        self.init(host: host, port: port)
    }

    public static func < (lhs: PeerAddress, rhs: PeerAddress) -> Bool { (lhs.host, lhs.port) < (rhs.host, rhs.port) }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
