import Foundation


/// Benchmark helpers used by `scripts/bench-*`; not part of the product.
///
///   vigil-bench bare-http PORT      a SwiftNIO HTTP/1 server that answers 200 without parsing
///   vigil-bench memory COUNT        RSS growth per tracked execution after COUNT heartbeats
///   vigil-bench store DIR           store throughput, replay and restart figures
///   vigil-bench store-crash-child DIR   appends forever, printing "ack SEQ" per durable append
let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "bare-http":
    guard let port = arguments.dropFirst().first.flatMap({ Int($0) }) else { fail("usage: vigil-bench bare-http PORT") }
    try BareHTTPServer.run(port: port)
case "memory":
    guard let count = arguments.dropFirst().first.flatMap({ Int($0) }), count > 0 else { fail("usage: vigil-bench memory COUNT") }
    MemoryBenchmark.run(count: count)
case "store":
    guard let dir = arguments.dropFirst().first else { fail("usage: vigil-bench store DIR [RECORDS]") }
    let records = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 1_000_000
    try await StoreBenchmark.run(directory: dir, replayRecords: records)
case "store-crash-child":
    guard let dir = arguments.dropFirst().first else { fail("usage: vigil-bench store-crash-child DIR") }
    try await StoreCrashChild.run(directory: dir)
case "store-full-child":
    guard let dir = arguments.dropFirst().first, let limit = arguments.dropFirst(2).first.flatMap({ Int($0) }) else {
        fail("usage: vigil-bench store-full-child DIR LIMIT_BYTES")
    }
    try await StoreFullChild.run(directory: dir, limitBytes: limit)
default:
    fail("usage: vigil-bench bare-http PORT | memory COUNT | store DIR [RECORDS] | store-crash-child DIR")
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}
