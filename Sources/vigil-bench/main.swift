import Foundation

/// Benchmark helpers used by `scripts/bench-*`; not part of the product.
///
///   vigil-bench bare-http PORT      a SwiftNIO HTTP/1 server that answers 200 without parsing
///   vigil-bench memory COUNT        RSS growth per tracked execution after COUNT heartbeats
let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "bare-http":
    guard let port = arguments.dropFirst().first.flatMap({ Int($0) }) else { fail("usage: vigil-bench bare-http PORT") }
    try BareHTTPServer.run(port: port)
case "memory":
    guard let count = arguments.dropFirst().first.flatMap({ Int($0) }), count > 0 else { fail("usage: vigil-bench memory COUNT") }
    MemoryBenchmark.run(count: count)
default:
    fail("usage: vigil-bench bare-http PORT | memory COUNT")
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}
