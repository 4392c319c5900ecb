/// What `vigil store check` measured on one host, and what it concludes: whether the shared
/// store's needs hold on this filesystem, and what to change when they do not.
///
/// The store needs: `fsync` that succeeds (durable appends), appends that read back whole,
/// `rename` that replaces a file atomically (snapshots), `fsync` of a directory (a new file's
/// entry made durable), and, across hosts, a peer's fsynced append and new file visible within
/// one store poll (250 ms: heartbeat facts reach the leader through it). No locking is needed:
/// each node writes only its own files.
public struct FilesystemFindings: Sendable, Equatable {
    /// The mount the directory is on (nil: unknown).
    public var mount: MountInfo?
    /// Local steps that failed, with what the system said (`fsync: Input/output error`).
    public var failures: [String] = []
    /// Local steps that worked only partly (a directory fsync refused with EINVAL).
    public var notes: [String] = []
    /// Median fsync time on this host, ms.
    public var fsyncMedianMs: Double?
    /// Peers that ran at the same time (0: the cross-host checks did not run).
    public var peers = 0
    /// One-way visibility of a peer's fsynced append (half a ping-pong round trip), ms.
    public var visibilityMs: [Double] = []
    /// How long a peer's new file took to be listed here, ms (nil: never within the run).
    public var newFileVisibleMs: Double?
    /// Reads of a file a peer keeps replacing by rename: how many, and how many failed with
    /// ESTALE, other errors, or returned a torn (neither old nor new) content.
    public var renamedReads = 0
    public var estale = 0
    public var readErrors = 0
    public var torn = 0

    public init() {}

    /// The 99th percentile of `visibilityMs` (nil without peers).
    public var visibilityP99Ms: Double? {
        guard !visibilityMs.isEmpty else { return nil }
        let sorted = visibilityMs.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    }
}

/// The conclusion: usable, usable with warnings, or not usable; each reason with what to do.
public struct FilesystemVerdict: Sendable, Equatable {
    public enum Level: String, Sendable, Comparable {
        case ok, warn, fail

        public static func < (a: Level, b: Level) -> Bool {
            let order: [Level] = [.ok, .warn, .fail]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
    }

    public var level: Level
    /// One line each: what was found and what to change.
    public var reasons: [String]

    /// A peer's fact must show within one store poll.
    public static let visibilityBoundMs = 250.0

    /// Judges `findings`; `expectPeers`: the run was asked to meet that many peers.
    public init(_ findings: FilesystemFindings, expectPeers: Int) {
        var reasons: [String] = []
        var level = Level.ok
        func raise(_ to: Level, _ reason: String) {
            level = max(level, to)
            reasons.append(reason)
        }
        for failure in findings.failures { raise(.fail, "\(failure): the store cannot run on this filesystem as mounted") }
        for note in findings.notes { raise(.warn, note) }
        if let advice = Self.mountAdvice(findings.mount) { raise(.warn, advice) }
        if expectPeers > 0 {
            if findings.peers < expectPeers {
                raise(.warn, "cross-host checks not run: \(findings.peers) of \(expectPeers) peer(s) met; start `vigil store check DIR --peers 1` on another host at the same time")
            } else {
                Self.crossHost(findings, raise)
            }
        }
        self.level = level
        self.reasons = reasons
    }

    static func crossHost(_ findings: FilesystemFindings, _ raise: (Level, String) -> Void) {
        let tuning = Self.tuning(findings.mount)
        if let p99 = findings.visibilityP99Ms, p99 > visibilityBoundMs {
            raise(.warn, "a peer's append became visible here after \(Int(p99)) ms (p99; bound \(Int(visibilityBoundMs)) ms): facts reach the leader late. \(tuning)")
        } else if findings.visibilityMs.isEmpty {
            raise(.fail, "no append of the peer became visible here during the run. \(tuning)")
        }
        if let ms = findings.newFileVisibleMs, ms > visibilityBoundMs {
            raise(.warn, "a peer's new file was listed here after \(Int(ms)) ms. \(tuning)")
        }
        if findings.torn > 0 { raise(.fail, "\(findings.torn) of \(findings.renamedReads) reads of a renamed file returned neither the old nor the new content: rename is not atomic across hosts") }
        if findings.estale > 0 {
            raise(.warn, "\(findings.estale) of \(findings.renamedReads) reads of a file a peer replaced by rename failed with ESTALE (Vigil retries them, but snapshots load late). \(tuning)")
        }
        if findings.readErrors > 0 { raise(.warn, "\(findings.readErrors) of \(findings.renamedReads) reads of a renamed file failed otherwise") }
    }

    /// What to change on this kind of mount for cross-client coherence.
    static func tuning(_ mount: MountInfo?) -> String {
        switch mount?.type {
        case "fuse.glusterfs":
            return "GlusterFS: mount with --attribute-timeout=0 --entry-timeout=0 --negative-timeout=0 (mount -o attribute-timeout=0,entry-timeout=0,negative-timeout=0) and turn the volume's client caches off: gluster volume set VOL performance.stat-prefetch off (and quick-read, io-cache, read-ahead, open-behind, write-behind, readdir-ahead)."
        case let type? where type.hasPrefix("nfs"):
            return "NFS: mount with actimeo=0 (or noac) and lookupcache=none."
        default:
            return "Turn off the client's attribute and entry caches for this mount."
        }
    }

    /// Warnings read from the mount alone (no peer needed); `vigil serve` logs them at start.
    public static func mountAdvice(_ mount: MountInfo?) -> String? {
        guard let mount else { return nil }
        if mount.type.hasPrefix("nfs") {
            let coherent = mount.options.contains("noac") || mount.options.contains("actimeo=0")
                || (mount.options.contains("acregmax=0") && mount.options.contains("acdirmax=0"))
            return coherent ? nil : "the store is on NFS (\(mount.source)) without actimeo=0 or noac: peers' appends show late. \(tuning(mount))"
        }
        if mount.type == "fuse.glusterfs" {
            return nil  // the client's cache timeouts are not visible in mountinfo; the cross-host check measures them
        }
        if mount.type == "tmpfs" { return "the store is on tmpfs (\(mount.mountPoint)): nothing survives a reboot" }
        return nil
    }
}
