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
        subcommands: [Verify.self]
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
            let damaged = reports.contains { !$0.damages.isEmpty }
            switch format {
            case .json:
                let files = reports.map { report -> JSONValue in
                    .object([
                        "path": .string(report.path), "records": .int(Int64(report.records)), "bytes": .int(Int64(report.bytes)),
                        "damages": .array(report.damages.map {
                            .object(["offset": .int(Int64($0.offset)), "length": .int(Int64($0.length)), "reason": .string($0.reason)])
                        }),
                    ])
                }
                print(JSONValue.object(["ok": .bool(!damaged), "files": .array(files)]).jsonText)
            case .text:
                let width = reports.map(\.path.count).max() ?? 4
                print("FILE".padding(toLength: width, withPad: " ", startingAt: 0) + "  RECORDS      BYTES  DAMAGE")
                for report in reports {
                    let line = report.path.padding(toLength: width, withPad: " ", startingAt: 0)
                        + String(format: "  %7d  %9d  %d", report.records, report.bytes, report.damages.count)
                    print(line)
                    for damage in report.damages { print("  damage at byte \(damage.offset): \(damage.reason) (\(damage.length) bytes)") }
                }
                let total = reports.reduce(0) { $0 + $1.records }
                print(damaged ? "damage found in \(reports.filter { !$0.damages.isEmpty }.count) file(s); \(total) records readable" : "ok: \(reports.count) file(s), \(total) records, no damage")
            }
            if damaged { throw ExitCode(1) }
        }
    }
}

/// `--format` for commands that print.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
