import ArgumentParser
import Foundation
import Store
import VigilJSON

extension StoreCommand {
    /// `vigil store check DIR`: does this filesystem give the store what it needs? Run it on two
    /// hosts at once (`--peers 1` on each) against the same store directory to measure how soon
    /// one host's appends show on the other.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that a store directory's filesystem gives the store what it needs (run on two hosts at once for the cross-host checks).",
            discussion: """
                Checks fsync, appends, an atomic rename and a directory fsync here; with --peers N, also how soon \
                a peer's fsynced append and new file show here, and reads of a file the peer replaces by rename \
                (ESTALE, torn contents). Start it on every host within --seconds of each other. \
                Exit 0: usable; 3: usable with warnings (each says what to change); 1: not usable.
                """
        )

        @Argument(help: "The store directory (store.path), as this host mounts it.")
        var directory: String

        @Option(help: "Other hosts running the check at the same time (0: local checks only).")
        var peers: Int = 0

        @Option(help: "How long the cross-host part runs once the peers are met (and the longest wait for them), seconds.")
        var seconds: Double = 10

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func validate() throws {
            guard (0...16).contains(peers) else { throw ValidationError("--peers must be 0...16") }
            guard seconds >= 1, seconds <= 600 else { throw ValidationError("--seconds must be 1...600") }
        }

        func run() async throws {
            let check = FilesystemCheck(directory: directory, id: "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            var findings = FilesystemFindings()
            check.local(into: &findings)
            if findings.failures.isEmpty, peers > 0 { check.withPeers(peers, seconds: seconds, into: &findings) }
            let verdict = FilesystemVerdict(findings, expectPeers: peers)
            print(format == .json ? Self.json(findings, verdict).jsonText : Self.text(findings, verdict))
            switch verdict.level {
            case .ok: return
            case .warn: throw ExitCode(3)
            case .fail: throw ExitCode(1)
            }
        }

        static func ms(_ value: Double?) -> JSONValue { value.map { .double(($0 * 10).rounded() / 10) } ?? .null }

        static func json(_ f: FilesystemFindings, _ verdict: FilesystemVerdict) -> JSONValue {
            let sorted = f.visibilityMs.sorted()
            return .object([
                "verdict": .string(verdict.level.rawValue), "reasons": .array(verdict.reasons.map { .string($0) }),
                "mount": f.mount.map { .object(["type": .string($0.type), "source": .string($0.source), "mount_point": .string($0.mountPoint)]) } ?? .null,
                "failures": .array(f.failures.map { .string($0) }), "fsync_median_ms": ms(f.fsyncMedianMs), "peers": .int(Int64(f.peers)),
                "visibility_samples": .int(Int64(sorted.count)), "visibility_median_ms": ms(sorted.isEmpty ? nil : sorted[sorted.count / 2]),
                "visibility_p99_ms": ms(f.visibilityP99Ms), "visibility_max_ms": ms(sorted.last), "new_file_visible_ms": ms(f.newFileVisibleMs),
                "renamed_reads": .int(Int64(f.renamedReads)), "estale": .int(Int64(f.estale)), "torn": .int(Int64(f.torn)),
                "read_errors": .int(Int64(f.readErrors)),
            ])
        }

        static func text(_ f: FilesystemFindings, _ verdict: FilesystemVerdict) -> String {
            var lines: [String] = []
            if let mount = f.mount { lines.append("filesystem: \(mount.type) (\(mount.source) on \(mount.mountPoint))") }
            if let fsync = f.fsyncMedianMs { lines.append(String(format: "fsync: median %.1f ms", fsync)) }
            if f.peers > 0, let p99 = f.visibilityP99Ms {
                let median = f.visibilityMs.sorted()[f.visibilityMs.count / 2]
                lines.append(String(format: "a peer's append visible here: median %.1f ms, p99 %.1f ms (%d samples, %d peer(s))", median, p99, f.visibilityMs.count, f.peers))
                lines.append("renamed-file reads: \(f.renamedReads), ESTALE \(f.estale), torn \(f.torn), other errors \(f.readErrors)")
                if let new = f.newFileVisibleMs { lines.append(String(format: "a peer's new file listed after its announcement: at most %.1f ms", new)) }
            }
            lines.append("verdict: \(verdict.level.rawValue.uppercased())")
            lines += verdict.reasons.map { "  - \($0)" }
            return lines.joined(separator: "\n")
        }
    }
}
