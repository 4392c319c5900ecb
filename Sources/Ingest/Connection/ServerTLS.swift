import Coordinator
import NIOSSL
import Synchronization

/// The HTTPS certificate and key in force. Each new connection takes the context current when
/// it is accepted, so ``reload()`` (on SIGHUP) changes what new connections see without
/// touching the ones already open.
public final class ServerTLS: Sendable {
    public let files: TLSFiles
    private let context: Mutex<NIOSSLContext>

    /// - Throws: ``TLSLoadError`` naming the file that cannot be used.
    public init(files: TLSFiles) throws(TLSLoadError) {
        self.files = files
        context = Mutex(try Self.load(files))
    }

    /// The context for a connection accepted now.
    var current: NIOSSLContext { context.withLock { $0 } }

    /// Reads the files again; on failure the old certificate stays in force.
    public func reload() throws(TLSLoadError) {
        let fresh = try Self.load(files)
        context.withLock { $0 = fresh }
    }

    static func load(_ files: TLSFiles) throws(TLSLoadError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
        } catch {
            throw TLSLoadError(path: files.certificatePath, detail: "not a readable PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw TLSLoadError(path: files.certificatePath, detail: "holds no certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
        } catch {
            throw TLSLoadError(path: files.keyPath, detail: "not a readable PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSLoadError(path: files.keyPath, detail: "the key does not fit the certificate, or TLS cannot use them (\(error))")
        }
    }
}

/// A certificate or key file that cannot be used.
public struct TLSLoadError: Error, CustomStringConvertible {
    public var path: String
    public var detail: String
    public var description: String { "\(path): \(detail)" }
}
