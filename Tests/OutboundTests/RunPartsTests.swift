import Foundation
import RunWrapper
import Testing
import VigilJSON

/// The pure parts of `vigil run`: request bodies, the progress file, the output tail, the spool.
@Suite struct RunPartsTests {
    let report = RunReport(executionID: "550e8400-e29b-41d4-a716-446655440000", containerID: "job-1", startedAt: 1_700_000_000.25)

    func parse(_ bytes: [UInt8]) throws -> JSONValue { try JSONParser.parse(bytes) }

    @Test func theCompletionNamesTheExitCodeOrTheSignal() throws {
        let failed = try parse(report.completion(.exited(7), endedAt: 1_700_000_002.5, outputTail: Array("hi\n".utf8)))
        #expect(failed["success"] == .bool(false))
        #expect(failed["result_data"]?["exit_code"] == .int(7))
        #expect(failed["result_data"]?["signal"] == .null)
        #expect(failed["result_data"]?["duration_s"] == .double(2.25))
        #expect(failed["result_data"]?["output_tail"] == .string("hi\n"))
        #expect(failed["error_message"] == .string("exited with code 7"))
        let killed = try parse(report.completion(.signaled(15), endedAt: 1_700_000_001, outputTail: []))
        #expect(killed["result_data"]?["signal"] == .string("SIGTERM"))
        #expect(killed["error_message"] == .string("killed by SIGTERM"))
        let ok = try parse(report.completion(.exited(0), endedAt: 1_700_000_001, outputTail: []))
        #expect(ok["success"] == .bool(true) && ok["error_message"] == .null)
        #expect(ChildExit.signaled(9).wrapperStatus == 137)
        #expect(ChildExit.exited(3).wrapperStatus == 3)
    }

    @Test func heartbeatsCarryTheMergedProgressRuntimeAndStartTime() throws {
        let beat = try parse(report.heartbeat(progress: ["percentage": .double(40), "runtime_seconds": .int(-1)], now: 1_700_000_010.25))
        #expect(beat["status"] == .string("running"))
        #expect(beat["container_id"] == .string("job-1"))
        #expect(beat["timestamp"] == .int(1_700_000_010))
        #expect(beat["progress"]?["percentage"] == .double(40))
        #expect(beat["progress"]?["runtime_seconds"] == .double(10), "the wrapper's runtime wins over the job's")
        #expect(beat["progress"]?["start_time"] == .string("2023-11-14T22:13:20.250Z"))
    }

    @Test func theProgressFileMergesCompleteLinesOnly() throws {
        let path = NSTemporaryDirectory() + "vigil-progress-test-\(UUID().uuidString).jsonl"
        FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var progress = ProgressFile(path: path)
        func append(_ text: String) throws {
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try handle.close()
        }
        try append(#"{"percentage": 10, "current_stage": "crawl"}"# + "\nnot json\n" + #"{"percentage": 20"#)
        progress.refresh()
        #expect(progress.merged["percentage"] == .int(10))
        #expect(progress.skipped == 1)
        try append(#", "current_url": "https://example.com"}"# + "\n")
        progress.refresh()
        #expect(progress.merged["percentage"] == .int(20))
        #expect(progress.merged["current_stage"] == .string("crawl"))
        #expect(progress.merged["current_url"] == .string("https://example.com"))
    }

    @Test func theTailKeepsTheLastBytesAtACharacterBoundary() {
        var tail = OutputTail(limit: 4)
        tail.append(Array("abcdef".utf8))
        #expect(tail.tail == Array("cdef".utf8))
        // "é€" is C3 A9 E2 82 AC: the last 4 bytes start inside "é", which is dropped.
        tail.append(Array("é€".utf8))
        #expect(String(decoding: tail.tail, as: UTF8.self) == "€")
    }

    @Test func theSpoolKeepsEachCompletionUntilRemoved() throws {
        let spool = CompletionSpool(directory: NSTemporaryDirectory() + "vigil-spool-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: spool.directory) }
        #expect(spool.pending().isEmpty)
        let path = try spool.write(executionID: "a", body: Array("{}".utf8))
        try spool.write(executionID: "b", body: Array("[]".utf8))
        #expect(spool.pending().map(\.body) == [Array("{}".utf8), Array("[]".utf8)])
        spool.remove(path)
        #expect(spool.pending().count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.directory) == ["b.json"], "no temporary files left")
    }
}

@Suite struct RunOptionsTests {
    @Test func optionsThenTheCommandAfterTheSeparator() throws {
        let o = try RunOptions(parsing: ["--execution-id", "550e8400-e29b-41d4-a716-446655440000", "--api=http://a:1,http://b:2", "--interval", "5", "--", "sh", "-c", "exit 3", "--interval"])
        #expect(o.executionID == "550e8400-e29b-41d4-a716-446655440000")
        #expect(o.api == "http://a:1,http://b:2")
        #expect(o.intervalS == 5)
        #expect(o.command == ["sh", "-c", "exit 3", "--interval"], "everything after -- is the command's")
        #expect(try RunOptions(parsing: ["--flush"]).flush)
        #expect(try RunOptions(parsing: ["make", "-j4"]).command == ["make", "-j4"])
    }

    @Test(arguments: [["--interval", "0"], ["--interval"], ["--bogus", "--", "x"], [], ["--flush", "--", "x"], ["--tail-bytes", "-1", "--", "x"]])
    func mistakesAreUsageErrors(arguments: [String]) {
        #expect(throws: RunOptions.UsageError.self) { try RunOptions(parsing: arguments) }
    }

    @Test func nodeURLsAreParsed() {
        #expect(NodeFailoverClient.BaseURL("http://127.0.0.1:8000/")?.description == "http://127.0.0.1:8000")
        #expect(NodeFailoverClient.BaseURL("http://[::1]:8001/k/token")?.description == "http://[::1]:8001/k/token")
        #expect(NodeFailoverClient.BaseURL("http://vigil")?.port == 80)
        #expect(NodeFailoverClient.BaseURL("https://vigil")?.port == 443)
        #expect(NodeFailoverClient.BaseURL("https://vigil")?.secure == true)
        #expect(NodeFailoverClient.BaseURL("ftp://vigil") == nil)
        #expect(NodeFailoverClient.BaseURL("http://host:99999") == nil)
        #expect(POSIX.isUUID(POSIX.uuid()))
        #expect(POSIX.iso8601(1_700_000_000.25) == "2023-11-14T22:13:20.250Z")
    }
}

extension RunPartsTests {
    /// Issue 24: `--kind` and `--heartbeat-timeout` travel with the heartbeats (the first fixes the rule).
    @Test func theKindAndTheHeartbeatTimeoutGoInTheHeartbeat() throws {
        let o = try RunOptions(parsing: ["--kind", "etl", "--heartbeat-timeout=900", "--", "true"])
        #expect(o.kind == "etl" && o.heartbeatTimeoutS == 900)
        #expect(throws: RunOptions.UsageError.self) { try RunOptions(parsing: ["--heartbeat-timeout", "0", "--", "true"]) }
        let report = RunReport(executionID: "550e8400-e29b-41d4-a716-446655440000", containerID: "job-1", startedAt: 1, kind: "etl", heartbeatTimeoutS: 900)
        let body = try parse(report.heartbeat(progress: [:], now: 2))
        #expect(body["kind"] == .string("etl"))
        #expect(body["monitor"]?["heartbeat_timeout_s"] == .double(900))
        let plain = try parse(self.report.heartbeat(progress: [:], now: 2))
        #expect(plain["kind"] == nil && plain["monitor"] == nil)
    }
}
