import ArgumentParser
import VigilJSON

/// `vigil sweep release`: the sweep's operator tools.
struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Sweep tools.", subcommands: [Release.self])

    /// `vigil sweep release`: `POST /admin/sweep/release`.
    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End the mass-failure guard's hold: judge the silent executions now, cluster-wide.",
            discussion: """
                While the monitor may be blind (every execution silent at once, a coordinator not confirmed alive, the \
                store failing), the sweep holds each silent execution's first strike for up to \
                executions.mass_failure_hold_s past its timeout. This ends the hold for every execution silent now \
                (durably; the leader sweeps at once). `vigil pause` holds longer instead.
                """
        )
        @OptionGroup var options: NodeOptions

        func run() async throws {
            try await reportingFailures { () async throws(NodeClient.Failure) in
                let status = try await options.client().post("/admin/sweep/release", json: nil)
                if options.format == .json { return print(status.jsonText) }
                print("hold released: the silent executions are judged now (leader \(Output.text(status["leader"])), term \(Output.text(status["term"])))")
                if status["paused"] == .bool(true) { print("note: sweeping is paused (vigil resume to judge)") }
            }
        }
    }
}
