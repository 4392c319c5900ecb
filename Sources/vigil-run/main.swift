import RunWrapper
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `vigil-run [options] -- CMD [ARGS...]` (also `vigil run`): monitor any command with no code
/// change. A small executable of its own, without Foundation or SwiftNIO, so a job starts a
/// few milliseconds after its wrapper and the wrapper stays a few megabytes.
// `vigil run …` execs this binary as `vigil-run run …`.
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "run" { arguments.removeFirst() }
let options: RunOptions
do {
    options = try RunOptions(parsing: arguments)
} catch {
    POSIX.say(error.description.hasPrefix("usage:") ? error.description : "vigil run: \(error.description)")
    exit(error.description.hasPrefix("usage:") ? 0 : 2)
}
do {
    let session = try RunSession(options: options)
    if options.flush {
        exit(await session.flushOnly() == 0 ? 0 : 1)
    }
    exit(try await session.run())
} catch {
    POSIX.say("vigil run: \(error.description)")
    exit(2)
}
