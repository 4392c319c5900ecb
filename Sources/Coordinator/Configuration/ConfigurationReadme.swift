import Foundation

extension ConfigKeys {
    /// The comments README.md's generated table sits between.
    public static let readmeBegin = "<!-- config-keys:begin -->"
    public static let readmeEnd = "<!-- config-keys:end -->"

    /// Every row of the README's configuration table: the file's keys, then the scalar keys of
    /// a channel, a service and a repair, each with the default its settings struct holds.
    public static var rows: [ConfigKeyRow] {
        let channelDefaults = ChannelSettings(name: "", kind: .command(argv: []), events: [])
        return file.map { $0.row(defaults: VigilConfiguration(nodes: [])) }
            + kind.map { $0.row(prefix: "kinds.<name>.", defaults: KindSettings(name: "")) }
            + channel.map { $0.row(prefix: "notifications.channels[].", defaults: channelDefaults) }
            + service.map { $0.row(prefix: "services[].", defaults: ServiceSettings(name: "", url: "")) }
            + repair.map { $0.row(prefix: "services[].repair.", defaults: ServiceSettings.Repair()) }
    }

    /// The README's configuration table, made from ``rows`` (a test keeps README.md's copy,
    /// between ``readmeBegin`` and ``readmeEnd``, equal to it).
    public static func markdownTable() -> String {
        var lines = ["| key | type | default | environment | meaning |", "|---|---|---|---|---|"]
        for row in rows {
            let defaultText = row.required ? "required" : row.defaultValue.map { "`\($0)`" } ?? "none"
            let environment = row.environment.map { "`\($0)`" } ?? ""
            lines.append("| `\(row.key)` | \(cell(row.type)) | \(cell(defaultText)) | \(environment) | \(cell(row.doc)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Text safe in a table cell.
    static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
