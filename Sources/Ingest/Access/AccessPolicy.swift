import HTTPTypes

/// Who may call what: classifies a request and checks its token. Pure (no clock, no IO), shared
/// by the Hummingbird gate (``AccessGate``) and the heartbeat fast path, so both decide alike.
///
/// A token travels as `Authorization: Bearer <token>`, or, for clients that can only be given a
/// base URL (the seed 004 client), as a path prefix: `/k/<token>/api/v1/monitoring/heartbeat`.
/// Never in a query string: access logs and proxies keep query strings.
public struct AccessPolicy: Sendable, Equatable {
    public let tokens: AccessTokens
    /// The tokens each class accepts, as bytes, computed once (the admin token opens all).
    private let accepted: [AccessClass: [[UInt8]]]

    public init(tokens: AccessTokens = AccessTokens()) {
        self.tokens = tokens
        let admin = tokens.admin.map { [Array($0.utf8)] } ?? []
        accepted = [
            .open: [], .admin: admin,
            .read: admin + (tokens.read.map { [Array($0.utf8)] } ?? []),
            .ingest: admin + tokens.ingest.map { Array($0.utf8) },
        ]
    }

    /// The path prefix that carries a token.
    public static let tokenPrefix = "/k/"

    /// What a request's target holds once a token prefix is taken off.
    public struct Target: Sendable, Equatable {
        /// The path without any `/k/<token>` prefix (and without the query).
        public var path: Substring
        /// The token the prefix carried.
        public var pathToken: Substring?

        public init(path: Substring, pathToken: Substring?) {
            self.path = path
            self.pathToken = pathToken
        }
    }

    /// Splits `/k/<token>/rest?query` into the token and `/rest`; other paths are returned as
    /// they are. A bare `/k/<token>` is the root path.
    public static func target(_ uriPath: Substring) -> Target {
        guard uriPath.hasPrefix(tokenPrefix) else { return Target(path: uriPath, pathToken: nil) }
        let afterPrefix = uriPath.dropFirst(tokenPrefix.count)
        guard let slash = afterPrefix.firstIndex(of: "/") else {
            return Target(path: "/", pathToken: afterPrefix)
        }
        return Target(path: afterPrefix[slash...], pathToken: afterPrefix[..<slash])
    }

    /// The class of a request, from its method and its path (without any token prefix).
    public func classify(method: HTTPRequest.Method, path: Substring) -> AccessClass {
        if path == "/health" || path.hasPrefix("/health/") {
            return tokens.protectHealth ? .read : .open
        }
        if path == "/metrics" { return tokens.protectMetrics ? .read : .open }
        if path == "/openapi.json" { return .open }
        if method == .post, path == "/api/v1/monitoring/heartbeat" || path == "/api/v1/monitoring/completion" { return .ingest }
        if path == "/admin" || path.hasPrefix("/admin/") { return .admin }
        if method == .get || method == .head { return .read }
        return .admin
    }

    /// Whether the class needs a token at all.
    public func isProtected(_ access: AccessClass) -> Bool {
        switch access {
        case .open: false
        case .ingest: !tokens.ingest.isEmpty
        case .read: tokens.read != nil
        case .admin: tokens.admin != nil
        }
    }

    /// The answer for one request.
    public enum Decision: Sendable, Equatable {
        case allow
        /// No token came with a request that needs one.
        case missing(AccessClass)
        /// A token came and it is not one this class accepts.
        case wrong(AccessClass)
    }

    /// Checks `token` (from the path prefix, else the bearer header) for a request of `access`.
    /// Compares against every accepted token in constant time.
    public func decide(_ access: AccessClass, token: Substring?) -> Decision {
        guard isProtected(access) else { return .allow }
        guard let token, !token.isEmpty else { return .missing(access) }
        var match = false
        for candidate in accepted[access] ?? [] { match = ConstantTime.equal(token.utf8, candidate) || match }
        return match ? .allow : .wrong(access)
    }

    /// The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive).
    public static func bearer(_ header: Substring?) -> Substring? {
        guard let header else { return nil }
        let trimmed = header.drop(while: { $0 == " " })
        // "bearer " in any case, compared byte by byte (no lowercased copy on the hot path).
        var scheme = trimmed.utf8.makeIterator()
        for expected in "bearer ".utf8 {
            guard let byte = scheme.next(), byte | 0x20 == expected | 0x20 else { return nil }
        }
        let token = trimmed.dropFirst(7).drop(while: { $0 == " " })
        var end = token.endIndex
        while end > token.startIndex, token[token.index(before: end)] == " " { end = token.index(before: end) }
        return token[..<end]
    }
}
