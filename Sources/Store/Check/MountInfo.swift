/// The mount a path lives on, from `/proc/self/mountinfo`: its filesystem type and options,
/// which say whether the store's coherence needs can hold (e.g. NFS `actimeo=0`).
public struct MountInfo: Sendable, Equatable {
    /// Where it is mounted.
    public var mountPoint: String
    /// `ext4`, `nfs4`, `fuse.glusterfs`, `ceph`, …
    public var type: String
    /// What was mounted (a device, `server:/volume`).
    public var source: String
    /// Per-mount and per-superblock options, e.g. `rw`, `actimeo=0`.
    public var options: [String]

    public init(mountPoint: String, type: String, source: String, options: [String]) {
        self.mountPoint = mountPoint
        self.type = type
        self.source = source
        self.options = options
    }

    /// The mount holding `path` (an absolute, resolved path): the longest mount point that is a
    /// prefix of it, in `mountinfo` text. `nil` when the text names none.
    public static func containing(_ path: String, in mountinfo: String) -> MountInfo? {
        var best: MountInfo?
        for line in mountinfo.split(separator: "\n") {
            guard let mount = parse(line) else { continue }
            let inside = mount.mountPoint == "/" || path == mount.mountPoint || path.hasPrefix(mount.mountPoint + "/")
            if inside, mount.mountPoint.count >= (best?.mountPoint.count ?? -1) { best = mount }
        }
        return best
    }

    /// One `mountinfo` line: `id parent major:minor root mountpoint options [optional…] - type source superoptions`.
    static func parse(_ line: Substring) -> MountInfo? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 3 else { return nil }
        let options = fields[5].split(separator: ",") + fields[dash + 3].split(separator: ",")
        return MountInfo(
            mountPoint: unescape(fields[4]), type: String(fields[dash + 1]), source: unescape(fields[dash + 2]), options: options.map(String.init)
        )
    }

    /// `mountinfo` writes a space as `\040` (and tab, newline, backslash likewise).
    static func unescape(_ field: Substring) -> String {
        var out = ""
        var rest = field[...]
        while let slash = rest.firstIndex(of: "\\") {
            out += rest[..<slash]
            let code = rest[rest.index(after: slash)...].prefix(3)
            if code.count == 3, let value = UInt8(code, radix: 8) {
                out.append(Character(Unicode.Scalar(value)))
                rest = rest[rest.index(slash, offsetBy: 4)...]
            } else {
                out.append("\\")
                rest = rest[rest.index(after: slash)...]
            }
        }
        return out + rest
    }
}
