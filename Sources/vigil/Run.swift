import ArgumentParser
import Foundation

/// `vigil run [options] -- CMD [ARGS...]`: hands over to the small `vigil-run` executable next
/// to this one (exec, same PID), which runs the command as a monitored execution. `vigil` itself
/// loads Foundation, SwiftNIO and the server (32 ms and 32 MB before it could start a job);
/// `vigil-run` does not. Images that only wrap jobs need only `vigil-run`.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command as a monitored execution (heartbeats, progress, completion); see vigil-run --help.",
        discussion: RunUsage.text
    )

    @Argument(parsing: .captureForPassthrough, help: "vigil-run's options, then -- and the command.")
    var arguments: [String] = []

    func run() throws {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let sibling = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("vigil-run").path
        let path = FileManager.default.isExecutableFile(atPath: sibling) ? sibling : "vigil-run"
        let argv = ["vigil-run", "run"] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        if path.contains("/") { execv(path, &cArgs) } else { execvp(path, &cArgs) }
        FileHandle.standardError.write(Data("vigil run: cannot start vigil-run (looked next to \(exe) and in PATH): \(String(cString: strerror(errno)))\n".utf8))
        throw ExitCode(2)
    }
}

enum RunUsage {
    static let text = """
        Options: --execution-id UUID (else TASK_EXECUTION_ID, else a new one), --container-id ID \
        (else HOSTNAME), --api URL[,URL...] (else API_BASE_URL), --interval S (30), \
        --tail-bytes N (10240), --completion-timeout S (60), --spool-dir DIR (else \
        VIGIL_SPOOL_DIR, else ~/.local/state/vigil/spool); vigil run --flush sends spooled \
        completions. The command appends JSON progress lines to the file in VIGIL_PROGRESS_FILE.
        """
}
