/// A postgres channel's statement: SQL with named event fields (`$status`, `$reason`,
/// `$execution_id`, …) rewritten to positional placeholders (`$1`, `$2`, …) once, at load.
/// The event's values are always bound as parameters, never put into the SQL text, so an
/// event field cannot change what the statement does.
///
/// Placeholders are found outside string literals (`'…'`, `E'…'`), quoted identifiers (`"…"`),
/// comments (`--`, `/* */`) and dollar-quoted strings (`$tag$…$tag$`). A name used twice is
/// one parameter. Positional placeholders (`$1`) are refused: the fields are named.
public struct PostgresStatement: Sendable, Equatable {
    /// The SQL sent, with `$1…$n`.
    public let sql: String
    /// The event field bound to each placeholder, in order (`fields[0]` is `$1`).
    public let fields: [String]

    /// The event fields a statement may name: the keys of a `json` notification body.
    public static let eventFields: [String] = [
        "event", "key", "summary", "reminder", "occurred_at", "occurred_at_utc", "execution_id", "service", "subject_node",
        "container_id", "status", "reason", "progress", "strikes", "heartbeat_count", "registered_at", "registered_at_utc",
        "last_heartbeat", "last_heartbeat_utc", "finished_at", "finished_at_utc", "timezone", "node", "sender", "term",
        "decided_in_term", "attempt", "channel",
    ]

    /// Why a statement was refused.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(parsing text: String) throws(ParseError) {
        var scanner = StatementScanner(Array(text.unicodeScalars))
        let (sql, fields) = try scanner.rewrite()
        guard !fields.isEmpty else {
            throw ParseError(description: "names no event field: use $execution_id, $status, $reason, … (see the README)")
        }
        self.sql = sql
        self.fields = fields
    }
}

/// One pass over the SQL: copies it, replacing `$name` outside quotes and comments.
private struct StatementScanner {
    let s: [Unicode.Scalar]
    var i = 0
    var out = String.UnicodeScalarView()
    var fields: [String] = []

    init(_ s: [Unicode.Scalar]) { self.s = s }

    mutating func rewrite() throws(PostgresStatement.ParseError) -> (String, [String]) {
        while i < s.count {
            let c = s[i]
            if c == "'" || c == "\"" {
                copyQuoted(c)
            } else if c == "-", next == "-" {
                copy(until: "\n")
            } else if c == "/", next == "*" {
                copyBlockComment()
            } else if c == "$" {
                try dollar()
            } else {
                out.append(c)
                i += 1
            }
        }
        return (String(out), fields)
    }

    var next: Unicode.Scalar? { i + 1 < s.count ? s[i + 1] : nil }

    static func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c.isASCII && c.properties.isAlphabetic) }
    static func isNamePart(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0"..."9").contains(c) }

    mutating func copyQuoted(_ quote: Unicode.Scalar) {
        out.append(quote)
        i += 1
        while i < s.count {
            out.append(s[i])
            i += 1
            if s[i - 1] == quote { return }  // a doubled quote re-enters on the next turn
        }
    }

    mutating func copy(until end: Unicode.Scalar) {
        while i < s.count, s[i] != end {
            out.append(s[i])
            i += 1
        }
    }

    mutating func copyBlockComment() {
        while i < s.count {
            out.append(s[i])
            i += 1
            if s[i - 1] == "*", i < s.count, s[i] == "/" {
                out.append(s[i])
                i += 1
                return
            }
        }
    }

    mutating func dollar() throws(PostgresStatement.ParseError) {
        var j = i + 1
        while j < s.count, Self.isNamePart(s[j]) { j += 1 }
        let name = String(String.UnicodeScalarView(s[(i + 1)..<j]))
        if j < s.count, s[j] == "$" {  // $tag$ … $tag$: a dollar-quoted string, copied whole
            let tag = Array(s[i...j])
            var k = j + 1
            while k + tag.count <= s.count, Array(s[k..<(k + tag.count)]) != tag { k += 1 }
            let end = min(s.count, k + tag.count)
            out.append(contentsOf: s[i..<end])
            i = end
            return
        }
        if let first = name.unicodeScalars.first, ("0"..."9").contains(first) {
            throw .init(description: "uses the positional placeholder $\(name): name an event field instead ($status, $reason, …)")
        }
        guard !name.isEmpty else {
            out.append("$")
            i += 1
            return
        }
        guard PostgresStatement.eventFields.contains(name) else {
            throw .init(description: "names $\(name), which is not an event field (one of \(PostgresStatement.eventFields.joined(separator: ", ")))")
        }
        if !fields.contains(name) { fields.append(name) }
        out.append(contentsOf: "$\(fields.firstIndex(of: name)! + 1)".unicodeScalars)
        i = j
    }
}
