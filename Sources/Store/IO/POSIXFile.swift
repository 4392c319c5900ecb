import Glibc


/// Thin, typed wrappers over the POSIX calls the store needs. Every failure becomes a
/// ``StoreError`` naming the path and `errno`, so a full disk or a permission problem reads
/// as such instead of a bare code.
enum POSIXFile {
    static func error(_ operation: String, path: String, errno code: Int32 = errno) -> StoreError {
        let text = String(cString: strerror(code))
        switch code {
        case ENOSPC, EDQUOT: return StoreError(code: .diskFull, path: path, detail: "\(operation): \(text)", errno: code)
        case EACCES, EPERM, EROFS: return StoreError(code: .permissionDenied, path: path, detail: "\(operation): \(text)", errno: code)
        default: return StoreError(code: .io, path: path, detail: "\(operation): \(text) (errno \(code))", errno: code)
        }
    }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(StoreError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw error("open", path: path) }
        return fd
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Writes every byte of an array.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StoreError) {
        let result: Result<Void, StoreError> = bytes.withUnsafeBytes { raw in
            Result { () throws(StoreError) in try writeAll(fd, raw, path: path) }
        }
        try result.get()
    }

    /// Writes every byte (retrying short writes and EINTR).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(StoreError) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw error("write", path: path)
            }
            offset += n
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(StoreError) {
        while Glibc.fsync(fd) != 0 {
            if errno == EINTR { continue }
            throw error("fsync", path: path)
        }
    }

    /// Makes a directory entry (a new or renamed file) durable.
    static func fsyncDirectory(_ path: String) throws(StoreError) {
        let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    static func truncate(_ fd: Int32, to length: Int, path: String) throws(StoreError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw error("ftruncate", path: path) }
    }

    static func size(_ fd: Int32, path: String) throws(StoreError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw error("fstat", path: path) }
        return Int(info.st_size)
    }

    static func seek(_ fd: Int32, to offset: Int, path: String) throws(StoreError) {
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else { throw error("lseek", path: path) }
    }

    static func seekToEnd(_ fd: Int32, path: String) throws(StoreError) {
        guard lseek(fd, 0, SEEK_END) >= 0 else { throw error("lseek", path: path) }
    }

    /// Reads the file from `offset` to its current end (at most `limit` bytes).
    static func read(path: String, from offset: Int = 0, limit: Int = .max) throws(StoreError) -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY)
        defer { close(fd) }
        let total = try size(fd, path: path)
        let count = max(0, min(total - offset, limit))
        if count == 0 { return [] }
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw error("read", path: path)
            }
            if n == 0 { break }  // the file shrank meanwhile
            done += n
        }
        if done < count { buffer.removeSubrange(done...) }
        return buffer
    }

    /// Creates `path` and its parents (like `mkdir -p`).
    static func makeDirectories(_ path: String) throws(StoreError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0, errno != EEXIST { throw error("mkdir", path: current) }
        }
    }

    /// Names in a directory (without `.` and `..`); `nil` when it does not exist.
    static func list(_ path: String) throws(StoreError) -> [String]? {
        try entries(path)?.map(\.name)
    }

    /// The subdirectories of a directory, by the type `readdir` reports (no `stat` per entry:
    /// on a network filesystem each is a round trip or more); entries of unknown type are
    /// `stat`ed. `nil` when the directory does not exist.
    static func subdirectories(_ path: String) throws(StoreError) -> [String]? {
        try entries(path)?.compactMap { entry in
            switch Int32(entry.type) {
            case Int32(DT_DIR): entry.name
            case Int32(DT_UNKNOWN): isDirectory(path + "/" + entry.name) ? entry.name : nil
            default: nil
            }
        }
    }

    /// A directory's entries (without `.` and `..`) with the type `readdir` reports (`d_type`);
    /// `nil` when it does not exist.
    private static func entries(_ path: String) throws(StoreError) -> [(name: String, type: UInt8)]? {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return nil }
            throw error("opendir", path: path)
        }
        defer { closedir(dir) }
        var found: [(name: String, type: UInt8)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { found.append((name, entry.pointee.d_type)) }
        }
        return found
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// When the file was last written, Unix ms; `nil` when it cannot be read.
    static func modifiedUnixMs(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000
    }

    static func remove(_ path: String) throws(StoreError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw error("unlink", path: path) }
    }

    static func rename(_ from: String, _ to: String) throws(StoreError) {
        guard Glibc.rename(from, to) == 0 else { throw error("rename", path: to) }
    }
}
