import Coordinator
import Foundation
import CoordinatorCore
import VigilJSON

/// Aligned tables and light colour (only when stdout is a terminal).
enum Output {
    static let isTTY = isatty(STDOUT_FILENO) == 1

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.offset == cells.count - 1 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    static func colored(_ status: String) -> String {
        guard isTTY else { return status }
        let code = switch status {
        case "running", "alive", "ok": "32"
        case "failed", "dead": "31"
        case "suspect", "paused", "degraded": "33"
        default: "0"
        }
        return "\u{1B}[\(code)m\(status)\u{1B}[0m"
    }

    /// `[#########-----------]  45.0%`
    static func bar(_ percentage: Double, width: Int = 20) -> String {
        let clamped = max(0, min(100, percentage))
        let filled = Int((clamped / 100 * Double(width)).rounded())
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] " + String(format: "%5.1f%%", clamped)
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s)?: s
        case .int(let i)?: String(i)
        case .double(let d)?: String(format: "%.1f", d)
        case .bool(let b)?: b ? "yes" : "no"
        case .null?, nil: "-"
        case let other?: other.jsonText
        }
    }

    /// Seconds as `42s`, `5m3s`, `2h4m`.
    static func age(_ seconds: Double?) -> String {
        guard let seconds else { return "-" }
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        return "\(s / 3600)h\(s / 60 % 60)m"
    }
}
