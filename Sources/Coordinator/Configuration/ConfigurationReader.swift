import Gossip
import VigilJSON

extension ConfigurationLoader {
    /// Walks the JSON tree with the current key path, so errors name the exact key.
    struct Reader {
        /// The dotted path of the object being read (`""` at the root, `services[2]`).
        var path: String

        func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

        func fail(_ name: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(key: key(name), problem: problem)
        }

        /// A reader for the object at `name` below this one.
        func below(_ name: String) -> Reader { Reader(path: key(name)) }

        func checkKeys(_ object: JSONObject, allowed: Set<String>) throws(ConfigurationError) {
            for member in object.members where !allowed.contains(member.key) {
                throw fail(member.key, "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }

        func object(_ value: JSONValue?, _ name: String) throws(ConfigurationError) -> JSONObject? {
            guard let value else { return nil }
            return try asObject(value, name)
        }

        func asObject(_ value: JSONValue, _ name: String) throws(ConfigurationError) -> JSONObject {
            guard case .object(let o) = value else { throw fail(name, "must be an object, got \(value.kindName)") }
            return o
        }

        func string(_ value: JSONValue?, _ name: String) throws(ConfigurationError) -> String? {
            guard let value else { return nil }
            return try Self.nonEmptyString(value, key: key(name))
        }

        static func nonEmptyString(_ value: JSONValue, key: String) throws(ConfigurationError) -> String {
            guard case .string(let s) = value, !s.isEmpty else {
                throw ConfigurationError(key: key, problem: "must be a non-empty string, got \(value.kindName)")
            }
            return s
        }

        /// A list of non-empty strings (argv), at least one.
        func argv(_ value: JSONValue, _ name: String, problem: String) throws(ConfigurationError) -> [String] {
            guard case .array(let parts) = value, !parts.isEmpty else { throw fail(name, problem) }
            return try parts.enumerated().map { (i, part) throws(ConfigurationError) in
                guard case .string(let s) = part, !s.isEmpty else { throw fail("\(name)[\(i)]", "must be a non-empty string") }
                return s
            }
        }

        func hostPort(_ value: JSONValue?, _ name: String) throws(ConfigurationError) -> HostPort {
            guard let text = try string(value, name) else { throw fail(name, "is required (\"host:port\")") }
            guard let hp = HostPort(text) else { throw fail(name, "must be \"host:port\" with a port from 0 to 65535, got \"\(text)\"") }
            return hp
        }

        /// The elements of the array at `name`, each an object, with a reader for it (`name[i]`).
        func items(_ value: JSONValue, _ name: String, problem: String) throws(ConfigurationError) -> [(Reader, JSONObject)] {
            guard case .array(let list) = value else { throw fail(name, problem) }
            return try list.enumerated().map { (i, entry) throws(ConfigurationError) in
                guard case .object(let o) = entry else { throw fail("\(name)[\(i)]", "must be an object") }
                return (Reader(path: key("\(name)[\(i)]")), o)
            }
        }
    }
}
