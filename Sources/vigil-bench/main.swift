import Foundation
import CoordinatorCore


/// Benchmark helpers used by `scripts/bench-*`; not part of the product.
///
///   vigil-bench bare-http PORT      a SwiftNIO HTTP/1 server that answers 200 without parsing
///   vigil-bench memory COUNT        RSS growth per tracked execution after COUNT heartbeats
///   vigil-bench store DIR           store throughput, replay and restart figures
///   vigil-bench store-crash-child DIR   appends forever, printing "ack SEQ" per durable append
///   vigil-bench sweep COUNT [kinds] one sweep over COUNT running executions (median ms); `kinds`:
///                                   spread over four rules (issue 24); `kinds-old`: the same,
///                                   registered 2 h earlier (every crawler's stall is looked at)
///   vigil-bench memory-cluster COUNT   RSS per execution with three origins (view + gossip replica)
///   vigil-bench failover RUNS [EXECUTIONS]   seeded simulated leader failovers: false/lost/duplicate marks
///   vigil-bench restart DIR HISTORY LIVE     restart to ready from a snapshot with HISTORY records of history
///   vigil-bench retention DIR EXECUTIONS     store bytes left after EXECUTIONS finished and passed retention
///   vigil-bench notify DIR COUNT             deliveries per second one leader sustains to a local webhook receiver
///   vigil-bench dashboard [COUNT]            the dashboard's page and data with COUNT executions (medians)
///   vigil-bench probes [COUNT] [SECONDS]      probes per second one leader sustains (COUNT services, 1 s interval)
///   vigil-bench notify-failover RUNS [EXECUTIONS]   simulated leader failovers with deliveries in flight: lost events, keys
///   vigil-bench mass-failure [RUNS] [EXECUTIONS]    issue 22's big silences (a host lost with 70%, all lost, all cut off)
let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "bare-http":
    guard let port = arguments.dropFirst().first.flatMap({ Int($0) }) else { fail("usage: vigil-bench bare-http PORT") }
    try BareHTTPServer.run(port: port)
case "memory":
    guard let count = arguments.dropFirst().first.flatMap({ Int($0) }), count > 0 else { fail("usage: vigil-bench memory COUNT [kinds]") }
    MemoryBenchmark.run(count: count, kinds: arguments.dropFirst(2).first == "kinds")
case "store":
    guard let dir = arguments.dropFirst().first else { fail("usage: vigil-bench store DIR [RECORDS]") }
    let records = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 1_000_000
    try await StoreBenchmark.run(directory: dir, replayRecords: records)
case "store-crash-child":
    guard let dir = arguments.dropFirst().first else { fail("usage: vigil-bench store-crash-child DIR | sweep COUNT | memory-cluster COUNT | failover RUNS [EXECUTIONS]") }
    try await StoreCrashChild.run(directory: dir)
case "store-full-child":
    guard let dir = arguments.dropFirst().first, let limit = arguments.dropFirst(2).first.flatMap({ Int($0) }) else {
        fail("usage: vigil-bench store-full-child DIR LIMIT_BYTES")
    }
    try await StoreFullChild.run(directory: dir, limitBytes: limit)
case "sweep":
    guard let count = arguments.dropFirst().first.flatMap({ Int($0) }), count > 0 else { fail("usage: vigil-bench sweep COUNT [kinds]") }
    let mode = arguments.dropFirst(2).first
    SweepBenchmark.run(count: count, kinds: mode == "kinds" || mode == "kinds-old", old: mode == "kinds-old")
case "memory-cluster":
    guard let count = arguments.dropFirst().first.flatMap({ Int($0) }), count > 0 else { fail("usage: vigil-bench memory-cluster COUNT") }
    ClusterMemoryBenchmark.run(count: count)
case "restart":
    guard let dir = arguments.dropFirst().first, let history = arguments.dropFirst(2).first.flatMap({ Int($0) }),
        let live = arguments.dropFirst(3).first.flatMap({ Int($0) })
    else { fail("usage: vigil-bench restart DIR HISTORY LIVE") }
    try await RestartBenchmark.restart(directory: dir, history: history, live: live)
case "retention":
    guard let dir = arguments.dropFirst().first, let count = arguments.dropFirst(2).first.flatMap({ Int($0) }) else {
        fail("usage: vigil-bench retention DIR EXECUTIONS")
    }
    try await RestartBenchmark.retention(directory: dir, executions: count)
case "notify":
    guard let dir = arguments.dropFirst().first, let count = arguments.dropFirst(2).first.flatMap({ Int($0) }), count > 0 else {
        fail("usage: vigil-bench notify DIR COUNT")
    }
    try await NotifyBenchmark.run(directory: dir, count: count)
case "dashboard":
    let count = arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000_000
    try await DashboardBenchmark.run(count: count)
case "probes":
    let count = arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000
    let seconds = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 20
    try await ProbeBenchmark.run(count: count, seconds: seconds)
case "notify-failover":
    guard let runs = arguments.dropFirst().first.flatMap({ Int($0) }), runs > 0 else { fail("usage: vigil-bench notify-failover RUNS [EXECUTIONS]") }
    let executions = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 2_000
    await FailoverBenchmark.run(runs: runs, executions: executions, workers: 2, notifications: true)
case "mass-failure":
    let runs = arguments.dropFirst().first.flatMap { Int($0) } ?? 3
    let executions = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 200
    MassFailureBenchmark.run(runs: max(1, runs), executions: max(20, executions))
case "failover":
    guard let runs = arguments.dropFirst().first.flatMap({ Int($0) }), runs > 0 else { fail("usage: vigil-bench failover RUNS [EXECUTIONS]") }
    let executions = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 10_000
    await FailoverBenchmark.run(runs: runs, executions: executions, workers: 2)
default:
    fail("usage: vigil-bench bare-http PORT | memory COUNT | store DIR [RECORDS] | store-crash-child DIR | sweep COUNT | memory-cluster COUNT | failover RUNS [EXECUTIONS]")
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}
