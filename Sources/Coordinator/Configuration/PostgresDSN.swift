/// A postgres channel's connection: `postgres://user[:password]@host[:port]/database[?sslmode=…]`
/// (also `postgresql://`); user name and password may be percent-encoded. `sslmode` is
/// `disable` (the default) or `require` (TLS, the server's certificate verified).
public struct PostgresDSN: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String?
    public var requireTLS: Bool

    /// Why a DSN was refused (the password is never repeated).
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String?, requireTLS: Bool = false) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.requireTLS = requireTLS
    }

    public init(parsing text: String) throws(ParseError) {
        guard let scheme = ["postgres://", "postgresql://"].first(where: { text.hasPrefix($0) }) else {
            throw ParseError(description: "must be postgres://user:password@host:port/database")
        }
        var rest = Substring(text.dropFirst(scheme.count))
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        guard let at = rest.lastIndex(of: "@") else { throw ParseError(description: "names no user (postgres://user:password@host:port/database)") }
        let credentials = rest[..<at]
        var location = rest[rest.index(after: at)...]
        let colon = credentials.firstIndex(of: ":")
        user = Self.decode(credentials[..<(colon ?? credentials.endIndex)])
        password = colon.map { Self.decode(credentials[credentials.index(after: $0)...]) }
        database = nil
        if let slash = location.firstIndex(of: "/") {
            let name = Self.decode(location[location.index(after: slash)...])
            database = name.isEmpty ? nil : name
            location = location[..<slash]
        }
        if let c = location.lastIndex(of: ":"), !location.hasSuffix("]") {
            guard let p = Int(location[location.index(after: c)...]), (1...65_535).contains(p) else { throw ParseError(description: "has a port that is not 1-65535") }
            port = p
            location = location[..<c]
        } else {
            port = 5432
        }
        host = String(location.trimmingPrefix("[").prefix { $0 != "]" })
        requireTLS = false
        guard !user.isEmpty, !host.isEmpty else { throw ParseError(description: "needs a user and a host (postgres://user:password@host:port/database)") }
        for pair in query.split(separator: "&") {
            switch pair {
            case "sslmode=disable": requireTLS = false
            case "sslmode=require", "sslmode=verify-full": requireTLS = true
            default: throw ParseError(description: "has the option \(pair.split(separator: "=").first ?? pair); only sslmode=disable or sslmode=require is understood")
            }
        }
    }

    /// `%XX` decoded (an invalid escape stays as written).
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var u = Array(text.utf8)[...]
        while let b = u.popFirst() {
            if b == UInt8(ascii: "%"), u.count >= 2, let v = UInt8(String(decoding: u.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                u = u.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
