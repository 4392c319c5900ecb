import ArgumentParser
import Testing

@testable import vigil
import CoordinatorCore

@Suite struct CommandParsingTests {
    @Test func serveTakesConfigNodeAndOverrides() throws {
        let command = try Vigil.parseAsRoot(["serve", "--config", "c.json", "--node", "n2", "--http", "127.0.0.1:0", "--heartbeat-timeout", "0.2"])
        let serve = try #require(command as? Serve)
        #expect(serve.config == "c.json")
        #expect(serve.node == "n2")
        #expect(serve.http == "127.0.0.1:0")
        #expect(serve.heartbeatTimeout == "0.2")
    }

    @Test func inspectionCommandsShareNodeOptions() throws {
        let status = try #require(try Vigil.parseAsRoot(["status", "--node", "http://127.0.0.1:8001", "--format", "json"]) as? Status)
        #expect(status.options.node == "http://127.0.0.1:8001")
        #expect(status.options.format == .json)
        let executions = try #require(try Vigil.parseAsRoot(["executions", "--status", "failed", "--limit", "5"]) as? Executions)
        #expect(executions.status == "failed")
        #expect(executions.limit == 5)
        #expect(executions.options.config == "cluster.example.json")
        let execution = try #require(try Vigil.parseAsRoot(["execution", "550e8400-e29b-41d4-a716-446655440000"]) as? Execution)
        #expect(execution.id == "550e8400-e29b-41d4-a716-446655440000")
        let marks = try #require(try Vigil.parseAsRoot(["marks", "--store", "data/store"]) as? Marks)
        #expect(marks.store == "data/store")
        #expect(try Vigil.parseAsRoot(["pause"]) is Pause)
        #expect(try Vigil.parseAsRoot(["sweep", "release", "--node", "127.0.0.1:8002"]) is Sweep.Release)
        let members = try #require(try Vigil.parseAsRoot(["members", "--format", "json"]) as? Members)
        #expect(members.options.format == .json)
        #expect(try Vigil.parseAsRoot(["resume", "--node", "127.0.0.1:8002"]) is Resume)
        let beat = try #require(try Vigil.parseAsRoot(["beat", "--execution-id", "550e8400-e29b-41d4-a716-446655440000", "--status", "completed", "--progress", "{\"percentage\":100}"]) as? Beat)
        #expect(beat.status == "completed")
        let verify = try #require(try Vigil.parseAsRoot(["store", "verify", "data/store"]) as? StoreCommand.Verify)
        #expect(verify.directory == "data/store")
    }

    @Test(arguments: [
        ["executions", "--status", "paused"],
        ["executions", "--limit", "0"],
        ["executions", "--limit", "5000"],
        ["execution", "not-a-uuid"],
        ["marks", "--store", "x", "--node", "y"],
        ["marks", "--limit", "0"],
        ["beat"],
        ["beat", "--execution-id", "nope"],
        ["beat", "--execution-id", "550e8400-e29b-41d4-a716-446655440000", "--status", "paused"],
        ["beat", "--execution-id", "550e8400-e29b-41d4-a716-446655440000", "--progress", "[1]"],
        ["status", "--format", "yaml"],
        ["store", "verify"],
        ["frobnicate"],
    ])
    func usageErrorsAreRejected(arguments: [String]) {
        #expect(throws: (any Error).self) { try Vigil.parseAsRoot(arguments) }
        // and they map to exit code 2 (usage), not 1 (node said no)
        do {
            _ = try Vigil.parseAsRoot(arguments)
        } catch {
            #expect(Vigil.exitCode(for: error) == .validationFailure)
        }
    }
}
