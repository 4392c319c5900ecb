import ArgumentParser
import Foundation
import VigilJSON

/// `vigil keyring list|install|use|remove`: the cluster's gossip keys, as Serf operators know
/// them. Every change is durable in the store and applied by every node; `use` waits until every
/// live node holds the key, `remove` never takes the key in use.
struct Keyring: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rotate the cluster's gossip keys without a restart.",
        discussion: """
            Rotation: install NEW; wait until `list` shows it on every node; use NEW; remove OLD. \
            Turning encryption on for a running cluster started with gossip.insecure: \
            install KEY, use KEY, remove plaintext. Needs the admin token (--token / VIGIL_TOKEN) \
            when one is set.
            """,
        subcommands: [List.self, Install.self, Use.self, Remove.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each key (by fingerprint), how many live nodes hold it, which one seals.")
        @OptionGroup var options: NodeOptions
        func run() async throws {
            try await reportingFailures { () async throws(NodeClient.Failure) in
                Keyring.show(try await options.client().get("/admin/keyring"), options)
            }
        }
    }

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Install a key on every node (it opens datagrams; it does not seal yet).")
        @OptionGroup var options: NodeOptions
        @Argument(help: "Base64 key from `vigil keygen`, or plaintext.") var key: String
        func run() async throws { try await Keyring.change("install", key, options) }
    }

    struct Use: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Seal with an installed key (refused until every live node holds it).")
        @OptionGroup var options: NodeOptions
        @Argument(help: "The key, its fingerprint, or plaintext.") var key: String
        func run() async throws { try await Keyring.change("use", key, options) }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key from every node (never the one in use).")
        @OptionGroup var options: NodeOptions
        @Argument(help: "The key, its fingerprint, or plaintext.") var key: String
        func run() async throws { try await Keyring.change("remove", key, options) }
    }

    static func change(_ verb: String, _ key: String, _ options: NodeOptions) async throws {
        try await reportingFailures { () async throws(NodeClient.Failure) in
            let body = JSONWriter.encode(.object(["key": .string(key)]))
            let answer = try await options.client().post("/admin/keyring/\(verb)", json: String(decoding: body, as: UTF8.self))
            if options.format == .text { print(answer["changed"] == .bool(true) ? "\(verb): done" : "\(verb): nothing to do") }
            show(answer, options)
        }
    }

    static func show(_ list: JSONValue, _ options: NodeOptions) {
        if options.format == .json { return print(list.jsonText) }
        let live = Output.text(list["live_nodes"])
        let rows = (list["keys"]?.arrayValue ?? []).map { k -> [String] in
            [Output.text(k["key"]), k["primary"] == .bool(true) ? "yes" : "", "\(Output.text(k["nodes"]))/\(live)", Output.text(k["sealing_nodes"])]
        }
        print(Output.table(["KEY", "IN USE HERE", "HELD BY", "SEALING ON"], rows))
        print(list["sealed"] == .bool(true) ? "gossip is sealed; plaintext is refused" : "gossip accepts plaintext")
    }
}
