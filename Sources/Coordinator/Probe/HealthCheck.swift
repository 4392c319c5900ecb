import CoordinatorCore
import VigilJSON

extension ServiceSettings.Health {
    /// Whether a response passes: its status (any 2xx unless listed), then the body substring,
    /// then the JSON field. Returns the verdict and a short reason for people.
    public func evaluate(status: Int, body: [UInt8]) -> (healthy: Bool, detail: String) {
        let statusOK = statuses.isEmpty ? (200..<300).contains(status) : statuses.contains(status)
        guard statusOK else { return (false, "HTTP \(status)") }
        if let needle = bodyContains, !String(decoding: body, as: UTF8.self).contains(needle) {
            return (false, "HTTP \(status), body lacks \"\(needle)\"")
        }
        if let field = jsonField, let expected = jsonEquals {
            guard let root = try? JSONParser.parse(body) else { return (false, "HTTP \(status), body is not JSON") }
            var value: JSONValue? = root
            for part in field.split(separator: ".") { value = value?[String(part)] }
            guard let value, Self.same(value, expected) else {
                return (false, "HTTP \(status), \(field) is \(value.map { $0.jsonText } ?? "missing"), expected \(expected.jsonText)")
            }
        }
        return (true, "HTTP \(status)")
    }

    /// Numbers compare by value (1 equals 1.0).
    private static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.numberValue, let y = b.numberValue { return x == y }
        return a == b
    }
}
