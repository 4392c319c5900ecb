import Coordinator
import CoordinatorCore
import Foundation
import Testing

/// The cluster file's `kinds` and `default_kind` (issue 24): read through the kind table, errors
/// naming the field, resolved against the `executions` section.
@Suite struct KindConfigurationTests {
    static let nodes = #""nodes":[{"id":"n1","http":"127.0.0.1:8000","gossip":"127.0.0.1:7946"}]"#

    func parse(_ rest: String) throws(ConfigurationError) -> VigilConfiguration {
        try ConfigurationLoader.parse(Array("{\(Self.nodes),\(rest)}".utf8))
    }

    @Test func theExampleFilesKindsResolveAgainstTheSeedRule() throws {
        let c = try ConfigurationLoader.load(path: ConfigurationTests.repoRoot.appendingPathComponent("cluster.example.json").path)
        let catalog = c.ruleCatalog
        #expect(catalog.kinds["crawler"] == ExecutionRule(kind: "crawler", heartbeatTimeoutMs: 300_000, maxStrikes: 3, progressTimeoutMs: 1_800_000))
        #expect(catalog.kinds["etl"] == ExecutionRule(kind: "etl", heartbeatTimeoutMs: 900_000, maxStrikes: 2, maxRuntimeMs: 21_600_000))
        #expect(catalog.defaultKind == nil)
        #expect(try catalog.resolve(kind: nil, monitor: RuleOverrides()) == nil)
    }

    @Test func leftOutValuesAreTheExecutionsSectionsAfterTheEnvironment() throws {
        let parsed = try parse(#""executions":{"heartbeat_timeout_s":60,"max_strikes":4},"kinds":{"quick":{"fail_when_stalled":true,"progress_timeout_s":5}},"default_kind":"quick""#)
        let c = try ConfigurationLoader.applyEnvironment(["HEARTBEAT_TIMEOUT": "30"], to: parsed)
        let rule = try #require(c.ruleCatalog.kinds["quick"])
        #expect(rule == ExecutionRule(kind: "quick", heartbeatTimeoutMs: 30_000, maxStrikes: 4, progressTimeoutMs: 5_000, failWhenStalled: true))
        #expect(try c.ruleCatalog.resolve(kind: nil, monitor: RuleOverrides())?.kind == "quick")
    }

    @Test(arguments: [
        (#""kinds":{"etl":{"max_strikes":300}}"#, "kinds.etl.max_strikes"),
        (#""kinds":{"etl":{"heartbeat_timeout_s":-1}}"#, "kinds.etl.heartbeat_timeout_s"),
        (#""kinds":{"etl":{"timeout":1}}"#, "kinds.etl.timeout"),
        (#""kinds":{"bad name":{}}"#, "kinds.bad name"),
        (#""kinds":{"etl":3}"#, "kinds.etl"),
        (#""kinds":[]"#, "kinds"),
        (#""kinds":{"etl":{}},"default_kind":"crawler""#, "default_kind"),
        (#""notifications":{"channels":[{"name":"c","type":"command","argv":["x"],"events":["*"],"kinds":["nope"]}]}"#, "notifications.channels[0].kinds[0]"),
    ])
    func aBadKindNamesTheField(text: String, key: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.key == key)
        }
    }

    @Test func aChannelsKindsAreRead() throws {
        let c = try parse(#""kinds":{"etl":{}},"notifications":{"channels":[{"name":"c","type":"command","argv":["x"],"events":["*"],"kinds":["etl"]}]}"#)
        #expect(c.notifications.channels.first?.rule.kinds == ["etl"])
    }
}
