import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs the wrapped command (swift-subprocess) with stdin passed through, its stdout and stderr
/// relayed unchanged to the wrapper's own (so `docker logs` still shows the job's output) while
/// the last bytes of both are kept; forwards SIGTERM, SIGINT, SIGHUP and SIGQUIT to it; and,
/// as PID 1 in a container, reaps orphaned processes.
public enum JobRunner {
    /// Runs `argv` to its end. `started` is called with the child's PID once it runs.
    public static func run(
        _ argv: [String], environment: [String: String], tailLimit: Int, started: @escaping @Sendable (Int32) -> Void
    ) async throws -> (exit: ChildExit, tail: [UInt8]) {
        let executable: Executable = argv[0].contains("/") ? .path(FilePath(argv[0])) : .name(argv[0])
        let tail = TailBox(limit: tailLimit)
        // SIGTERM, SIGINT, SIGHUP and SIGQUIT are caught from here on and passed to the child (one
        // that arrives before the child exists is passed once it does). Caught, not ignored: a
        // caught signal's handler is not inherited across exec, an ignored one would be.
        SignalForwarding.install()
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
        let overrides = Environment.inherit.updating(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), Optional($0.value)) }))
        let result = try await Subprocess.run(
            executable, arguments: Arguments(Array(argv.dropFirst())), environment: overrides, input: .currentStandardInput, output: .sequence,
            error: .sequence
        ) { execution in
            let child = execution.processIdentifier.value
            SignalForwarding.forward(to: child)
            let reaper = getpid() == 1 ? OrphanReaper(child: child) : nil
            defer {
                SignalForwarding.forward(to: 0)
                reaper?.stop()
            }
            started(child)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await buffer in execution.standardOutput { buffer.withUnsafeBytes { relay($0, to: 1, tail: tail) } }
                }
                group.addTask {
                    for try await buffer in execution.standardError { buffer.withUnsafeBytes { relay($0, to: 2, tail: tail) } }
                }
                try await group.waitForAll()
            }
        }
        let exit: ChildExit
        switch result.terminationStatus {
        case .exited(let code): exit = .exited(Int32(truncatingIfNeeded: code))
        case .signaled(let signal): exit = .signaled(Int32(truncatingIfNeeded: signal))
        }
        return (exit, tail.tail)
    }

    /// Writes all of `bytes` to `fd` (a closed stdout loses output, never the job).
    private static func relay(_ bytes: UnsafeRawBufferPointer, to fd: Int32, tail: TailBox) {
        tail.append(bytes)
        POSIX.writeAll(fd, bytes)
    }
}

/// The combined output tail, shared by the two relays.
final class TailBox: Sendable {
    private let value: Mutex<OutputTail>

    init(limit: Int) { value = Mutex(OutputTail(limit: limit)) }

    func append(_ bytes: UnsafeRawBufferPointer) { value.withLock { $0.append(bytes) } }
    var tail: [UInt8] { value.withLock { $0.tail } }
}

/// As PID 1, processes orphaned inside the container are ours to reap. Peeks at exited
/// children without reaping (`WNOWAIT`) and reaps every one but the wrapped child, whose
/// status swift-subprocess collects itself.
final class OrphanReaper: @unchecked Sendable {
    private let timer: any DispatchSourceTimer

    init(child: Int32) {
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + .milliseconds(500), repeating: .milliseconds(500))
        timer.setEventHandler {
            for _ in 0..<64 {
                var info = siginfo_t()
                guard waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return }
                let pid = info._sifields._sigchld.si_pid
                guard pid > 0, pid != child else { return }
                waitpid(pid, nil, WNOHANG)
            }
        }
        timer.resume()
    }

    func stop() { timer.cancel() }
}

/// Passes the wrapper's SIGTERM, SIGINT, SIGHUP and SIGQUIT to the child, from a signal handler
/// (lock-free atomics only: async-signal-safe), so no signal is lost in a window between
/// installing a handler and starting the child.
enum SignalForwarding {
    static let signals: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT]
    /// The child's PID, 0 before it exists.
    static let target = Atomic<Int32>(0)
    /// A signal that arrived before the child existed.
    static let pending = Atomic<Int32>(0)

    static func install() {
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { received in
                let pid = SignalForwarding.target.load(ordering: .acquiring)
                if pid > 0 {
                    kill(pid, received)
                } else {
                    SignalForwarding.pending.store(received, ordering: .releasing)
                }
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// From now on signals go to `pid` (0: nowhere); one that came early is passed at once.
    static func forward(to pid: Int32) {
        target.store(pid, ordering: .releasing)
        if pid > 0 {
            let early = pending.exchange(0, ordering: .acquiringAndReleasing)
            if early != 0 { kill(pid, early) }
        }
    }
}
