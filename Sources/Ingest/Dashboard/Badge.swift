/// A flat badge (shields.io style) as SVG, and the shields.io "endpoint" JSON for the same.
struct Badge: Sendable, Equatable {
    var label: String
    var message: String
    /// A hex colour (`#2e7d32`).
    var color: String

    static let colors = ["running": "#2e7d32", "late": "#c77700", "failed": "#c62828", "completed": "#1565c0", "unknown": "#6b7075"]

    /// The badge as SVG; every text is XML-escaped.
    var svg: String {
        let labelWidth = Self.width(label)
        let messageWidth = Self.width(message)
        let total = labelWidth + messageWidth
        let l = Self.escaped(label)
        let m = Self.escaped(message)
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(total)" height="20" role="img" aria-label="\(l): \(m)"><title>\(l): \(m)</title>\
            <rect width="\(labelWidth)" height="20" fill="#555"/><rect x="\(labelWidth)" width="\(messageWidth)" height="20" fill="\(Self.escaped(color))"/>\
            <g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">\
            <text x="\(labelWidth / 2)" y="14">\(l)</text><text x="\(labelWidth + messageWidth / 2)" y="14">\(m)</text></g></svg>
            """
    }

    /// Rough text width at 11 px Verdana, plus padding.
    static func width(_ text: String) -> Int { 10 + text.count * 7 }

    static func escaped(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
