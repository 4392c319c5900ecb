import Glibc

extension FilesystemCheck {
    /// The cross-host steps with `peers` other runs, for `seconds` once they are met (waiting as
    /// long for them first). Pings every 50 ms; answers and reads as fast as the files allow
    /// (polling every millisecond); lingers a second at the end so the peers' last pings get
    /// their answers.
    public func withPeers(_ peers: Int, seconds: Double, into findings: inout FilesystemFindings) {
        var session = PeerSession(check: self)
        do {
            try session.open()
        } catch {
            findings.failures.append("\(error.detail) (\(session.logPath))")
            return
        }
        defer { session.close() }
        let started = Self.monotonicMs()
        var metAt: Double?
        var stopPingingAt = started + seconds * 2000
        while true {
            let now = Self.monotonicMs()
            if metAt == nil, session.peers.count >= peers {
                metAt = now
                stopPingingAt = now + seconds * 1000
            }
            if now >= stopPingingAt + 1000 { break }
            session.step(now: now, pinging: now < stopPingingAt, into: &findings)
            usleep(1000)
        }
        findings.peers = session.answered.count
    }
}

/// One cross-host run's state: its own log and snapshot file, and how far it read each peer's.
struct PeerSession {
    let check: FilesystemCheck
    var logFD: Int32 = -1
    var sent: [Int: Double] = [:]
    var next = 0
    var lastPing = 0.0
    var lastSnap = 0.0
    /// Peer id → how far its log was read.
    var peers: [String: Int] = [:]
    /// Peers whose answers to this run's pings arrived.
    var answered: Set<String> = []
    var created: [String] = []

    init(check: FilesystemCheck) { self.check = check }

    var dir: String { check.checkDirectory }
    var logPath: String { dir + "/" + check.id + ".log" }

    mutating func open() throws(StoreError) {
        try POSIXFile.makeDirectories(dir)
        logFD = try POSIXFile.open(logPath, flags: O_WRONLY | O_CREAT | O_APPEND | O_TRUNC)
        created.append(logPath)
        try POSIXFile.fsyncDirectory(dir)
    }

    func close() {
        if logFD >= 0 { POSIXFile.close(logFD) }
        for path in created + [dir + "/" + check.id + ".snap", dir + "/" + check.id + ".snap.tmp"] { try? POSIXFile.remove(path) }
        _ = rmdir(dir)  // only once every run has gone
    }

    func append(_ line: String) {
        try? POSIXFile.writeAll(logFD, Array((line + "\n").utf8), path: logPath)
        try? POSIXFile.fsync(logFD, path: logPath)
    }

    mutating func step(now: Double, pinging: Bool, into findings: inout FilesystemFindings) {
        if pinging, now - lastPing >= 50 {
            lastPing = now
            next += 1
            // Every tenth ping announces a new file, made just before it.
            let withFile = next % 10 == 0
            if withFile, let fd = try? POSIXFile.open(dir + "/" + check.id + ".f\(next)", flags: O_WRONLY | O_CREAT) {
                POSIXFile.close(fd)
                created.append(dir + "/" + check.id + ".f\(next)")
            }
            sent[next] = now
            append("ping \(check.id) \(next)" + (withFile ? " file" : ""))
        }
        if now - lastSnap >= 100 {
            lastSnap = now
            try? check.replace(dir + "/" + check.id + ".snap", with: Self.snapshot(of: check.id, version: next))
        }
        discover()
        for peer in peers.keys.sorted() {
            readLog(of: peer, into: &findings)
            readSnapshot(of: peer, into: &findings)
        }
    }

    /// Peers are the other runs' logs in the directory.
    mutating func discover() {
        guard let names = try? POSIXFile.list(dir) else { return }
        for name in names where name.hasSuffix(".log") {
            let peer = String(name.dropLast(4))
            if peer != check.id, peers[peer] == nil { peers[peer] = 0 }
        }
    }

    mutating func readLog(of peer: String, into findings: inout FilesystemFindings) {
        let offset = peers[peer] ?? 0
        guard let bytes = try? POSIXFile.read(path: dir + "/" + peer + ".log", from: offset), let end = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return }
        peers[peer] = offset + end + 1
        for line in String(decoding: bytes[...end], as: UTF8.self).split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 3, let k = Int(words[2]) else { continue }
            if words[0] == "ping" {
                if words.count >= 4 { findings.newFileVisibleMs = max(findings.newFileVisibleMs ?? 0, waitForFile(dir + "/" + peer + ".f\(k)")) }
                append("pong \(words[1]) \(k)")
            } else if words[0] == "pong", words[1] == check.id, let at = sent.removeValue(forKey: k) {
                findings.visibilityMs.append((FilesystemCheck.monotonicMs() - at) / 2)
                answered.insert(peer)
            }
        }
    }

    /// How long until `path` is listed in its directory (at most 2 s).
    func waitForFile(_ path: String) -> Double {
        let started = FilesystemCheck.monotonicMs()
        let name = String(path.split(separator: "/").last ?? "")
        while FilesystemCheck.monotonicMs() - started < 2000 {
            if (try? POSIXFile.list(dir))?.contains(name) == true { break }
            usleep(1000)
        }
        return FilesystemCheck.monotonicMs() - started
    }

    /// Reads the peer's snapshot-like file: whole (either version), ESTALE, or another error.
    mutating func readSnapshot(of peer: String, into findings: inout FilesystemFindings) {
        let path = dir + "/" + peer + ".snap"
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return }  // not written yet, or the peer has finished
            findings.renamedReads += 1
            if errno == ESTALE { findings.estale += 1 } else { findings.readErrors += 1 }
            return
        }
        defer { Glibc.close(fd) }
        findings.renamedReads += 1
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 {
            if errno == ESTALE { findings.estale += 1 } else { findings.readErrors += 1 }
            return
        }
        if !Self.isWholeSnapshot(Array(buffer[..<n]), of: peer) { findings.torn += 1 }
    }

    /// A snapshot-like content: a header, 2 KiB of filler, an end line naming the same version.
    static func snapshot(of id: String, version: Int) -> [UInt8] {
        Array("snap \(id) \(version)\n".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 2048) + Array("\nend \(version)\n".utf8)
    }

    static func isWholeSnapshot(_ bytes: [UInt8], of id: String) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n")
        guard lines.count == 3, let version = lines[0].split(separator: " ").last else { return false }
        return bytes == snapshot(of: id, version: Int(version) ?? -1)
    }
}
