import ArgumentParser
import Foundation
import VigilJSON

/// `vigil services`: seed 002's probed services as one node sees them.
struct Services: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List probed services: state, failures, last probe, last repair.",
        discussion: "The sweep leader probes; ask it for the last probe of each service (other nodes show the durable state)."
    )
    @OptionGroup var options: NodeOptions

    func run() async throws {
        try await reportingFailures { () async throws(NodeClient.Failure) in
            let list = try await options.client().get("/api/v1/services")
            if options.format == .json { return print(list.jsonText) }
            print("node \(Output.text(list["node"])): prober \(Output.text(list["prober"])), leader \(Output.text(list["leader"]))")
            let rows = (list["services"]?.arrayValue ?? []).map { s -> [String] in
                let last = s["last_probe"]
                let repair = s["last_repair"]
                return [
                    Output.text(s["name"]), Output.colored(Output.text(s["status"])), "\(Output.text(s["failures"]))/\(Output.text(s["max_retries"]))",
                    last.flatMap { $0 == .null ? nil : "\(Output.text($0["result"])) in \(Output.text($0["latency_ms"])) ms" } ?? "-",
                    Output.text(s["repairs"]),
                    repair.flatMap { $0 == .null ? nil : "\(Output.text($0["at"])): \(Output.text($0["outcome"]))" } ?? "-",
                    Output.text(s["url"]),
                ]
            }
            print(Output.table(["SERVICE", "STATUS", "FAILURES", "LAST PROBE", "REPAIRS", "LAST REPAIR", "URL"], rows))
        }
    }
}
