import Glibc

/// Measures, on the filesystem a store directory is on, what the store needs
/// (``FilesystemFindings``): locally, and with peers running the same check on other hosts at
/// the same time. Everything happens in `DIRECTORY/.vigil-check/`, in files named after the
/// run's id, removed at the end; the store's own files are not touched (a node's reader skips
/// dot-directories).
///
/// Across hosts no clocks are compared: each run appends `ping ID K` lines (fsynced) to its own
/// log, answers each peer's ping with `pong PEER K` in its own log, and takes half the round
/// trip of its own pings as the one-way visibility. Peer logs are re-opened on every read, as a
/// node's store follower does. Each run also keeps replacing a snapshot-like file by `rename`
/// while reading the peers' (ESTALE, torn contents), and creates a file before some pings: the
/// peer measures how long after reading the ping the file is listed.
///
/// Blocking: run it on a thread that may block (the CLI, or start-up before serving).
public struct FilesystemCheck: Sendable {
    public let directory: String
    public let id: String

    public init(directory: String, id: String) {
        self.directory = directory
        self.id = id
    }

    var checkDirectory: String { directory + "/.vigil-check" }

    /// The local steps: appends with fsync, a rename over a file, a directory fsync; and the mount.
    public func local(into findings: inout FilesystemFindings) {
        let dir = checkDirectory
        findings.mount = Self.mount(of: directory)
        do {
            try POSIXFile.makeDirectories(dir)
        } catch {
            findings.failures.append("mkdir \(dir): \(error.detail)")
            return
        }
        let probe = dir + "/" + id + ".probe"
        defer { try? POSIXFile.remove(probe) }
        do {
            let fd = try POSIXFile.open(probe, flags: O_WRONLY | O_CREAT | O_APPEND | O_TRUNC)
            var times: [Double] = []
            for k in 0..<5 {
                try POSIXFile.writeAll(fd, Array("record \(k) of \(id)\n".utf8), path: probe)
                let started = Self.monotonicMs()
                try POSIXFile.fsync(fd, path: probe)
                times.append(Self.monotonicMs() - started)
            }
            POSIXFile.close(fd)
            findings.fsyncMedianMs = times.sorted()[times.count / 2]
            let back = String(decoding: try POSIXFile.read(path: probe), as: UTF8.self)
            if back != (0..<5).map({ "record \($0) of \(id)\n" }).joined() { findings.failures.append("appends did not read back whole from \(probe)") }
        } catch {
            findings.failures.append("\(error.detail) (\(probe))")
        }
        replaceCheck(dir, into: &findings)
    }

    private func replaceCheck(_ dir: String, into findings: inout FilesystemFindings) {
        let target = dir + "/" + id + ".probe-snap"
        defer { try? POSIXFile.remove(target) }
        do {
            for version in 1...2 { try replace(target, with: Array("version \(version)\n".utf8)) }
            if try POSIXFile.read(path: target) != Array("version 2\n".utf8) { findings.failures.append("a file replaced by rename did not read back as the new version") }
        } catch {
            findings.failures.append("\(error.detail) (\(target))")
        }
        do {
            try POSIXFile.fsyncDirectory(dir)
        } catch {
            if error.detail.contains("errno \(EINVAL)") {
                findings.notes.append("fsync of a directory is refused (EINVAL): a new segment's name may not survive a crash of this host")
            } else {
                findings.failures.append("directory fsync: \(error.detail)")
            }
        }
    }

    /// Writes `bytes` to a temporary file, fsyncs it, and renames it over `path`.
    func replace(_ path: String, with bytes: [UInt8]) throws(StoreError) {
        let temporary = path + ".tmp"
        let fd = try POSIXFile.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        defer { POSIXFile.close(fd) }
        try POSIXFile.writeAll(fd, bytes, path: temporary)
        try POSIXFile.fsync(fd, path: temporary)
        try POSIXFile.rename(temporary, path)
    }

    /// The mount holding `path`, from `/proc/self/mountinfo`.
    public static func mount(of path: String) -> MountInfo? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        guard let text = readToEnd("/proc/self/mountinfo") else { return nil }
        return MountInfo.containing(String(cString: resolved), in: String(decoding: text, as: UTF8.self))
    }

    /// A file read until EOF (a /proc file reports size 0, so ``POSIXFile/read(path:from:limit:)`` would read nothing).
    static func readToEnd(_ path: String) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return n == 0 ? out : nil }
            out += chunk[..<n]
        }
    }

    static func monotonicMs() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) * 1000 + Double(now.tv_nsec) / 1_000_000
    }
}
