import ArgumentParser
import NIOCore
import NIOPosix
import Foundation
import CoordinatorCore

/// The `vigil` command: run a node, or (later issues) inspect a cluster.
@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Heartbeat monitoring for long-running jobs, on a cluster of coordinator nodes.",
        subcommands: [Serve.self, Members.self, Status.self, Executions.self, Execution.self, Marks.self, Pause.self, Resume.self, Sweep.self, Beat.self, Notifications.self, Notify.self, Services.self, Run.self, StoreCommand.self, Keygen.self, Keyring.self]
    )

    /// Sizes NIO's event loop group before anything uses it.
    static func main() async {
        // One event loop per CPU this process may actually run on (taskset, cpusets), not per
        // CPU in the machine: extra loops on a pinned core only add context switches.
        NIOSingletons.groupLoopCountSuggestion = CPUAffinity.usableCPUCount
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await runAsync(&asyncCommand)
            } else {
                try command.run()
            }
        } catch {
            // Usage errors exit with 2 (ArgumentParser's default is 64); everything else as usual.
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    private static func runAsync(_ command: inout some AsyncParsableCommand) async throws {
        try await command.run()
    }
}

/// CPUs the scheduler lets this process use (the `Cpus_allowed` mask of /proc/self/status).
enum CPUAffinity {
    static var usableCPUCount: Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        {
            let mask = line.dropFirst("Cpus_allowed:".count).filter { $0.isHexDigit }
            let count = mask.reduce(0) { $0 + (Int(String($1), radix: 16) ?? 0).nonzeroBitCount }
            if count > 0 { return min(count, System.coreCount) }
        }
        return System.coreCount
    }
}
