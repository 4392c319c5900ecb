import ArgumentParser

/// The `vigil` command: run a node, or (later issues) inspect a cluster.
@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Heartbeat monitoring for long-running jobs, on a cluster of coordinator nodes.",
        subcommands: [Serve.self]
    )
}
