import ArgumentParser
import Foundation
import VigilJSON

/// `vigil notifications [--state S] [--limit N]`: the outbox as one node sees it.
struct Notifications: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List notifications: pending, delivered, undeliverable (attempts and last error).",
        discussion: "Every node knows what is owed and what was acknowledged (from the store); attempts and errors of deliveries still pending are known to the leader, which sends them."
    )
    @OptionGroup var options: NodeOptions
    @Option(help: "pending, delivered, undeliverable or all.")
    var state: String = "all"
    @Option(help: "At most this many (1-10000).")
    var limit: Int = 100

    func validate() throws {
        guard ["pending", "delivered", "undeliverable", "all"].contains(state) else { throw ValidationError("--state must be pending, delivered, undeliverable or all") }
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
    }

    func run() async throws {
        try await reportingFailures { () async throws(NodeClient.Failure) in
            let list = try await options.client().get("/api/v1/notifications?state=\(state)&limit=\(limit)")
            if options.format == .json { return print(list.jsonText) }
            let channels = (list["channels"]?.arrayValue ?? []).map { Output.text($0) }
            print("node \(Output.text(list["node"])): \(list["delivering"] == .bool(true) ? "delivering (leader)" : "not delivering (the leader sends)"), channels \(channels.isEmpty ? "none" : channels.joined(separator: ", ")), pending \(Output.text(list["pending"])), in flight \(Output.text(list["in_flight"]))")
            let rows = (list["notifications"]?.arrayValue ?? []).map { n -> [String] in
                [
                    Output.colored(Output.text(n["state"])), Output.text(n["event"]), Output.text(n["channel"]), Output.text(n["attempts"]),
                    Output.text(n["occurred_at"]), Output.text(n["key"]), n["last_error"] == .null ? "-" : Output.text(n["last_error"]),
                ]
            }
            print(Output.table(["STATE", "EVENT", "CHANNEL", "ATTEMPTS", "OCCURRED", "KEY", "LAST ERROR"], rows))
        }
    }
}

/// `vigil notify test CHANNEL`.
struct Notify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Notification tools.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a notification.test event to one channel now, through the node, and print the result.",
            discussion: "Nothing is recorded in the store; exit status 1 when the channel did not take it."
        )
        @OptionGroup var options: NodeOptions
        @Argument(help: "The channel's name in notifications.channels.")
        var channel: String

        func run() async throws {
            var failed = false
            try await reportingFailures { () async throws(NodeClient.Failure) in
                let body = JSONWriter.encode(.object(["channel": .string(channel)]))
                let answer = try await options.client().post("/admin/notifications/test", json: String(decoding: body, as: UTF8.self), timeout: 120)
                if options.format == .json { return print(answer.jsonText) }
                if answer["delivered"] == .bool(true) {
                    print("delivered to \(channel) (webhook-id \(Output.text(answer["key"])))")
                } else {
                    failed = true
                    print("not delivered to \(channel): \(Output.text(answer["error"]))")
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}
