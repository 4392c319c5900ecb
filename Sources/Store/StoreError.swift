/// A store operation that failed, with the file and what the operator can do about it.
public struct StoreError: Error, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: Sendable, Equatable {
        /// The disk (or quota) is full: free space, then the node retries.
        case diskFull
        /// The process may not read or write the path.
        case permissionDenied
        /// Any other system call failure (`errno` in the detail).
        case io
        /// A record is larger than the store accepts.
        case recordTooLarge
        /// Bytes on disk are not what the store wrote (bad checksum, bad frame).
        case corrupt
        /// The store was closed; nothing more can be appended.
        case closed
        /// The directory layout is not a Vigil store.
        case invalidLayout
    }

    public var code: Code
    /// The file or directory concerned.
    public var path: String
    public var detail: String
    /// The system call's `errno`, when one failed.
    public var errno: Int32?

    public init(code: Code, path: String, detail: String, errno: Int32? = nil) {
        self.code = code
        self.path = path
        self.detail = detail
        self.errno = errno
    }

    /// A network filesystem's passing trouble rather than a broken store: `ESTALE` (a file a
    /// peer replaced by rename, read through a stale handle), `ENOTCONN` (a GlusterFS client
    /// between its servers' reconnects), `EIO`/`ETIMEDOUT` from an NFS or FUSE mount. Worth a
    /// retry before giving up.
    public var isTransient: Bool {
        guard let errno else { return false }
        return [116, 107, 5, 110].contains(errno)  // ESTALE, ENOTCONN, EIO, ETIMEDOUT (Linux)
    }

    public var description: String { "store \(code) at \(path): \(detail)" }
}
