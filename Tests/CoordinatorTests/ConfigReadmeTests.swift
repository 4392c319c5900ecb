import Coordinator
import Foundation
import Testing

/// README.md's configuration table is made from the key descriptions; this keeps it so.
@Suite struct ConfigReadmeTests {
    @Test func readmeTableIsTheGeneratedOne() throws {
        let readme = try String(contentsOf: ConfigurationTests.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let generated = ConfigKeys.markdownTable().trimmingCharacters(in: .whitespacesAndNewlines)
        guard let begin = readme.range(of: ConfigKeys.readmeBegin), let end = readme.range(of: ConfigKeys.readmeEnd), begin.upperBound <= end.lowerBound else {
            Issue.record("README.md needs the table between \(ConfigKeys.readmeBegin) and \(ConfigKeys.readmeEnd):\n\(generated)")
            return
        }
        let table = readme[begin.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        // `VIGIL_UPDATE_README=1 swift test --filter ConfigReadmeTests` writes the table in.
        if table != generated, ProcessInfo.processInfo.environment["VIGIL_UPDATE_README"] == "1" {
            let updated = readme.replacingCharacters(in: begin.upperBound..<end.lowerBound, with: "\n" + generated + "\n")
            try updated.write(to: ConfigurationTests.repoRoot.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
            return
        }
        #expect(table == generated, "README.md's configuration table is stale; put this between its config-keys markers:\n\(generated)")
    }

    @Test func everyRowIsOneLineWithFiveCells() {
        let lines = ConfigKeys.markdownTable().split(separator: "\n")
        #expect(lines.count == ConfigKeys.rows.count + 2)
        for line in lines {
            let unescaped = line.replacingOccurrences(of: "\\|", with: "")
            #expect(unescaped.filter { $0 == "|" }.count == 6, "\(line)")
        }
    }
}
