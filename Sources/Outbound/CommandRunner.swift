import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs a configured argv (no shell) with bytes on stdin, under a time limit, keeping the tail
/// of its combined output: for command channels, and later for repairs.
public struct CommandRunner: Sendable {
    /// How a run ended.
    public struct Outcome: Sendable, Equatable {
        /// The exit status, when it exited.
        public var exitCode: Int32?
        /// The signal that ended it, when one did (the time limit sends SIGTERM, then SIGKILL).
        public var signal: Int32?
        public var timedOut: Bool
        /// The last bytes of its standard output and error, as text.
        public var outputTail: String

        public var succeeded: Bool { exitCode == 0 && !timedOut }

        public var description: String {
            let how = timedOut ? "timed out" : exitCode.map { "exited with status \($0)" } ?? signal.map { "was killed by signal \($0)" } ?? "ended"
            let tail = outputTail.trimmingCharacters(in: .whitespacesAndNewlines)
            return tail.isEmpty ? how : "\(how): \(tail.suffix(300))"
        }
    }

    /// Output bytes kept.
    public var tailBytes = 4_096

    public init() {}

    /// Runs `argv` (`argv[0]` is a path, or a name looked up in `PATH`).
    /// - Throws: when the program cannot be started (not found, not executable).
    public func run(_ argv: [String], input: [UInt8], timeout: Duration) async throws -> Outcome {
        precondition(!argv.isEmpty, "an empty argv")
        let executable: Executable = argv[0].contains("/") ? .path(FilePath(argv[0])) : .name(argv[0])
        var options = PlatformOptions()
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(2))]
        let limit = tailBytes
        let timedOut = TimeoutFlag()
        let result = try await Subprocess.run(
            executable, arguments: Arguments(Array(argv.dropFirst())), platformOptions: options, input: .array(input), output: .sequence,
            error: .combinedWithOutput
        ) { execution in
            try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    var tail: [UInt8] = []
                    for try await buffer in execution.standardOutput {
                        buffer.withUnsafeBytes { tail.append(contentsOf: $0) }
                        if tail.count > limit * 2 { tail.removeFirst(tail.count - limit) }
                    }
                    return Array(tail.suffix(limit))
                }
                group.addTask {
                    // Cancelled once the output is read: the program ended in time.
                    guard (try? await Task.sleep(for: timeout)) != nil else { return nil }
                    timedOut.set()
                    try await execution.teardown(using: [.gracefulShutDown(allowedDurationToNextStep: .seconds(2))])
                    return nil
                }
                var tail: [UInt8] = []
                while let next = try await group.next() {
                    if let bytes = next {
                        tail = bytes
                        group.cancelAll()
                    }
                }
                return tail
            }
        }
        var outcome = Outcome(exitCode: nil, signal: nil, timedOut: timedOut.isSet, outputTail: String(decoding: result.closureResult, as: UTF8.self))
        switch result.terminationStatus {
        case .exited(let code): outcome.exitCode = Int32(code)
        case .signaled(let signal): outcome.signal = Int32(signal)
        }
        return outcome
    }
}

/// Set once by the timer task when the time limit fired.
private final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
