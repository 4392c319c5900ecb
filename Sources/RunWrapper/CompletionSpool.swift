#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Completions not yet taken by a node, one file each (`<execution_id>.json`, written to a
/// temporary name, fsynced and renamed), so a crash or an unreachable cluster loses none:
/// the next `vigil run`, or `vigil run --flush`, sends them.
public struct CompletionSpool: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Writes a completion durably; returns its path.
    @discardableResult
    public func write(executionID: String, body: [UInt8]) throws -> String {
        guard POSIX.makeDirectories(directory) else { throw SpoolError(path: directory, errno: errno) }
        let path = "\(directory)/\(executionID).json"
        let temporary = "\(path).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw SpoolError(path: temporary, errno: errno) }
        let written = POSIX.writeAll(fd, body)
        let synced = fsync(fd)
        close(fd)
        guard written, synced == 0 else {
            _ = Glibc.unlink(temporary)
            throw SpoolError(path: temporary, errno: errno)
        }
        guard rename(temporary, path) == 0 else { throw SpoolError(path: path, errno: errno) }
        let dir = open(directory, O_RDONLY)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
        return path
    }

    /// Spooled completions, oldest first.
    public func pending() -> [(path: String, body: [UInt8])] {
        POSIX.list(directory).filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            let path = "\(directory)/\(name)"
            return POSIX.read(path).map { (path, $0) }
        }
    }

    public func remove(_ path: String) {
        _ = Glibc.unlink(path)
    }

    public struct SpoolError: Error, CustomStringConvertible {
        public var path: String
        public var errno: Int32
        public var description: String { "cannot write the completion spool file \(path): \(POSIX.error(errno))" }
    }
}
