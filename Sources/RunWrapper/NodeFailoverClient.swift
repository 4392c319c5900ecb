import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Posts JSON to one of several Vigil nodes: the node that answered last first, then the next
/// when it does not answer (refused, timed out, 5xx), so a dead coordinator loses no heartbeat.
///
/// A small HTTP/1.1 client over POSIX sockets (one connection per request, `Connection:
/// close`; `https://` through the system's OpenSSL, ``TLSClient``), run on a dispatch queue:
/// no well-kept Swift HTTP client comes
/// without Foundation or SwiftNIO, and with them `vigil-run` took 32 ms and 32 MB before the
/// job started (see `scripts/bench-run`).
public final class NodeFailoverClient: Sendable {
    public let bases: [BaseURL]
    private let current = Mutex(0)
    private let timeoutMs: Int32
    private let queue = DispatchQueue(label: "vigil-run.http", attributes: .concurrent)
    /// Sent as `Authorization: Bearer` (a token can also sit in a base URL's `/k/<token>` prefix).
    private let token: String?
    private let tls: TLSClient?

    /// What the nodes answered.
    public enum Answer: Sendable, Equatable {
        /// A 2xx.
        case accepted(base: String)
        /// A 4xx: the node understood and refused (every node would).
        case refused(base: String, status: Int, message: String)
        /// No node answered.
        case unreachable(String)
    }

    /// `http[s]://host:port[/prefix]`.
    public struct BaseURL: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: UInt16
        public var prefix: String
        /// `https://`.
        public var secure: Bool
        public var description: String { "\(secure ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)\(prefix)" }

        /// `nil` for anything but `http[s]://host[:port][/prefix]`.
        public init?(_ text: String) {
            secure = text.hasPrefix("https://")
            guard secure || text.hasPrefix("http://") else { return nil }
            let defaultPort: UInt16 = secure ? 443 : 80
            var rest = Substring(text.dropFirst(secure ? 8 : 7))
            while rest.hasSuffix("/") { rest = rest.dropLast() }
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            prefix = String(rest[slash...])
            let authority = rest[..<slash]
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                port = after.hasPrefix(":") ? UInt16(after.dropFirst()) ?? 0 : defaultPort
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                port = UInt16(authority[authority.index(after: colon)...]) ?? 0
            } else {
                host = String(authority)
                port = defaultPort
            }
            guard !host.isEmpty, port != 0 else { return nil }
        }
    }

    /// - Throws: ``TLSClient/Failure`` when a base is `https://` and TLS cannot be set up (an
    ///   unreadable CA file).
    public init(bases: [BaseURL], token: String? = nil, caFile: String? = nil, timeoutMs: Int32 = 5_000) throws(TLSClient.Failure) {
        self.bases = bases
        self.timeoutMs = timeoutMs
        self.token = token
        tls = bases.contains(where: \.secure) ? try TLSClient(caFile: caFile) : nil
    }

    /// POSTs `body` to `path`, trying every node once, the last one that answered first.
    public func post(_ path: String, body: [UInt8]) async -> Answer {
        let start = current.withLock { $0 }
        var errors: [String] = []
        for step in 0..<bases.count {
            let index = (start + step) % bases.count
            let base = bases[index]
            let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<(Int, String), HTTPError>, Never>) in
                queue.async {
                    continuation.resume(returning: Self.exchange(base, path: path, body: body, token: self.token, tls: self.tls, timeoutMs: self.timeoutMs))
                }
            }
            switch outcome {
            case .success(let (status, text)) where (200..<300).contains(status):
                current.withLock { $0 = index }
                return .accepted(base: "\(base)")
            case .success(let (status, text)) where (400..<500).contains(status):
                current.withLock { $0 = index }
                return .refused(base: "\(base)", status: status, message: text)
            case .success(let (status, _)):
                errors.append("\(base) answered \(status)")
            case .failure(let error):
                errors.append("\(base): \(error.description)")
            }
        }
        current.withLock { $0 = (start + 1) % max(1, bases.count) }
        return .unreachable(errors.joined(separator: "; "))
    }

    /// Why a request got no HTTP answer.
    struct HTTPError: Error, CustomStringConvertible {
        var description: String
    }

    /// One request on a new connection: connect (within the timeout), send, read to EOF.
    static func exchange(_ base: BaseURL, path: String, body: [UInt8], token: String?, tls: TLSClient?, timeoutMs: Int32) -> Result<(Int, String), HTTPError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(base.host, String(base.port), &hints, &list) == 0, let first = list else {
            return .failure(HTTPError(description: "cannot resolve \(base.host)"))
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen, timeoutMs: timeoutMs) else {
                lastError = errno == ETIMEDOUT ? "connect timed out" : POSIX.error()
                continue
            }
            var tv = timeval(tv_sec: Int(timeoutMs / 1000), tv_usec: Int(timeoutMs % 1000) * 1000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            let host = base.host.contains(":") ? "[\(base.host)]" : base.host
            let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
            var request = Array("POST \(base.prefix)\(path) HTTP/1.1\r\nHost: \(host):\(base.port)\r\nUser-Agent: vigil-run\r\n\(authorization)Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
            request += body
            if base.secure {
                guard let tls else { return .failure(HTTPError(description: "TLS is not set up")) }
                let session: TLSClient.Session
                do {
                    session = try tls.session(fd: fd, host: base.host)
                } catch {
                    return .failure(HTTPError(description: error.description))
                }
                guard session.writeAll(request) else {
                    lastError = "send failed (TLS) \(TLSClient.lastError())"
                    continue
                }
                guard let response = session.readToEnd(limit: 65_536) else {
                    return .failure(HTTPError(description: errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within \(timeoutMs) ms" : "TLS read failed \(TLSClient.lastError())"))
                }
                return parse(response)
            }
            guard POSIX.writeAll(fd, request) else {
                lastError = "send failed: \(POSIX.error())"
                continue
            }
            return readToEnd(fd, timeoutMs: timeoutMs).flatMap(parse)
        }
        return .failure(HTTPError(description: lastError))
    }

    /// Reads a plain connection to its end (at most 64 KiB; the receive timeout is set).
    static func readToEnd(_ fd: Int32, timeoutMs: Int32) -> Result<[UInt8], HTTPError> {
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while response.count < 65_536 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                return .failure(HTTPError(description: errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within \(timeoutMs) ms" : POSIX.error()))
            }
            if n == 0 { break }
            response += chunk[0..<n]
        }
        return .success(response)
    }

    /// Status and the start of the body of a whole response.
    static func parse(_ response: [UInt8]) -> Result<(Int, String), HTTPError> {
        guard let status = parseStatus(response) else { return .failure(HTTPError(description: "not an HTTP answer")) }
        let text = response.firstRange(of: Array("\r\n\r\n".utf8)).map { String(decoding: response[$0.upperBound...].prefix(500), as: UTF8.self) } ?? ""
        return .success((status, text))
    }

    /// `HTTP/1.1 200 OK` → 200.
    static func parseStatus(_ response: [UInt8]) -> Int? {
        let line = response.prefix { $0 != 13 && $0 != 10 }
        let parts = line.split(separator: 32)
        guard parts.count >= 2, parts[0].starts(with: Array("HTTP/1.".utf8)) else { return nil }
        return Int(String(decoding: parts[1], as: UTF8.self))
    }

    /// A non-blocking connect bounded by `timeoutMs`; the socket is blocking again afterwards.
    private static func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t, timeoutMs: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        if Glibc.connect(fd, address, length) == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&poller, 1, timeoutMs)
        guard ready > 0 else {
            errno = ready == 0 ? ETIMEDOUT : errno
            return false
        }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
        errno = error
        return error == 0
    }
}
