import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// TLS for `vigil-run`'s `https://` nodes, through the system's OpenSSL (libssl3 is on every
/// Debian; no Foundation or SwiftNIO): the node's certificate is verified against `caFile`, or the
/// system's roots, and its name or IP address against the URL's host.
public final class TLSClient: @unchecked Sendable {
    // An SSL_CTX is safe to share between threads once configured (OpenSSL's documented rule);
    // it is never changed after init.
    private let context: OpaquePointer

    /// Why TLS could not be set up or a handshake failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    init(caFile: String?) throws(Failure) {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw Failure(description: "TLS: cannot create a context \(Self.lastError())") }
        self.context = context
        _ = vigil_ssl_ctx_min_tls12(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw Failure(description: "cannot read the CA file \(caFile) \(Self.lastError())")
            }
        } else {
            SSL_CTX_set_default_verify_paths(context)
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// A verified TLS session over the connected socket `fd` (blocking, with its timeouts set).
    func session(fd: Int32, host: String) throws(Failure) -> Session {
        guard let ssl = SSL_new(context) else { throw Failure(description: "TLS: cannot create a session \(Self.lastError())") }
        let session = Session(ssl: ssl)
        SSL_set_fd(ssl, fd)
        var address = in6_addr()
        let isIP = inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1
        if isIP {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            _ = vigil_ssl_set_sni(ssl, host)
            SSL_set1_host(ssl, host)
        }
        guard SSL_connect(ssl) == 1 else {
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                throw Failure(description: "TLS: the node's certificate is not trusted: \(String(cString: X509_verify_cert_error_string(verify))) (give the CA with --ca-file or VIGIL_CA_FILE)")
            }
            throw Failure(description: "TLS handshake failed \(Self.lastError())")
        }
        return session
    }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return "(\(String(decoding: text, as: UTF8.self)))"
    }

    /// One TLS connection.
    final class Session {
        let ssl: OpaquePointer

        init(ssl: OpaquePointer) {
            self.ssl = ssl
        }

        deinit {
            SSL_shutdown(ssl)
            SSL_free(ssl)
        }

        func writeAll(_ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
                guard n > 0 else { return false }
                offset += Int(n)
            }
            return true
        }

        /// Up to `limit` bytes, until the peer closes; `nil` on an error before any close.
        func readToEnd(limit: Int) -> [UInt8]? {
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while out.count < limit {
                let n = chunk.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
                if n > 0 {
                    out += chunk[0..<Int(n)]
                    continue
                }
                let error = SSL_get_error(ssl, n)
                if error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && !out.isEmpty) { break }
                return out.isEmpty ? nil : out
            }
            return out
        }
    }
}
