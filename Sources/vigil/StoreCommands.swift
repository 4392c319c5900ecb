import ArgumentParser
import Coordinator
import Foundation
import Store
import CoordinatorCore
import VigilJSON

/// `vigil store …`: read a store directory directly, with no node running.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Inspect the shared append-only store.",
        subcommands: [Verify.self, Check.self]
    )

    /// `vigil store verify DIR`.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record of every node's files; exit 1 when damage is found."
        )

        @Argument(help: "The store directory (store.path in the config).")
        var directory: String

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            let reports: [StoreVerifier.FileReport]
            do {
                reports = try StoreVerifier.verify(root: directory)
            } catch {
                FileHandle.standardError.write(Data("vigil: \(error)\n".utf8))
                throw ExitCode(1)
            }
            print(Self.render(reports, format: format))
            if reports.contains(where: { !$0.damages.isEmpty }) { throw ExitCode(1) }
        }

        /// Readable records per type, named as the coordinator names them (``RecordType/name``).
        static func typeCounts(_ report: StoreVerifier.FileReport) -> [(name: String, count: Int)] {
            report.recordTypes.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key.name, $0.value) }
        }

        /// What `verify` prints for these reports.
        static func render(_ reports: [StoreVerifier.FileReport], format: OutputFormat) -> String {
            let damaged = reports.contains { !$0.damages.isEmpty }
            switch format {
            case .json:
                let files = reports.map { report -> JSONValue in
                    .object([
                        "path": .string(report.path), "records": .int(Int64(report.records)), "bytes": .int(Int64(report.bytes)),
                        "types": .object(JSONObject(typeCounts(report).map { JSONObject.Member(key: $0.name, value: .int(Int64($0.count))) })),
                        "damages": .array(report.damages.map {
                            .object(["offset": .int(Int64($0.offset)), "length": .int(Int64($0.length)), "reason": .string($0.reason)])
                        }),
                    ])
                }
                return JSONValue.object(["ok": .bool(!damaged), "files": .array(files)]).jsonText
            case .text:
                let width = reports.map(\.path.count).max() ?? 4
                var lines = ["FILE".padding(toLength: width, withPad: " ", startingAt: 0) + "  RECORDS      BYTES  DAMAGE  TYPES"]
                for report in reports {
                    let types = typeCounts(report).map { "\($0.name)=\($0.count)" }.joined(separator: " ")
                    lines.append(
                        report.path.padding(toLength: width, withPad: " ", startingAt: 0)
                            + String(format: "  %7d  %9d  %6d  ", report.records, report.bytes, report.damages.count) + types
                    )
                    for damage in report.damages { lines.append("  damage at byte \(damage.offset): \(damage.reason) (\(damage.length) bytes)") }
                }
                let total = reports.reduce(0) { $0 + $1.records }
                lines.append(damaged ? "damage found in \(reports.filter { !$0.damages.isEmpty }.count) file(s); \(total) records readable" : "ok: \(reports.count) file(s), \(total) records, no damage")
                return lines.joined(separator: "\n")
            }
        }
    }
}

/// `--format` for commands that print.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
