import VigilJSON

extension ConfigurationLoader.Reader {
    /// `kinds`: an object of named rules, each read through ``ConfigKeys/kind`` (errors name the
    /// field: `kinds.etl.max_strikes`).
    func kinds(_ value: JSONValue, _ name: String) throws(ConfigurationError) -> [KindSettings] {
        guard case .object(let object) = value else { throw fail(name, "must be an object of named rules, e.g. {\"etl\": {\"heartbeat_timeout_s\": 900}}") }
        var kinds: [KindSettings] = []
        for member in object.members {
            let reader = below(name)
            let kindName = try reader.itemName(.string(member.key), as: member.key)
            guard case .object(let fields) = member.value else { throw reader.fail(member.key, "must be an object (a rule), got \(member.value.kindName)") }
            var kind = KindSettings(name: kindName)
            try reader.below(member.key).read(fields, ConfigKeys.kind, into: &kind)
            guard !kinds.contains(where: { $0.name == kindName }) else { throw reader.fail(member.key, "names two kinds") }
            kinds.append(kind)
        }
        return kinds
    }

    /// A kind's name, checked as channels' and services' names are; errors name `key`.
    func itemName(_ value: JSONValue, as key: String) throws(ConfigurationError) -> String {
        guard case .string(let name) = value, !name.isEmpty, name.utf8.count <= 64,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else { throw fail(key, "is not a kind name: 1-64 ASCII letters, digits, '-', '_' or '.'") }
        return name
    }
}

extension ConfigurationLoader {
    /// `default_kind` and a channel's `kinds` must name kinds.
    static func checkKinds(_ configuration: VigilConfiguration) throws(ConfigurationError) {
        let names = Set(configuration.kinds.map(\.name))
        for (i, channel) in configuration.notifications.channels.enumerated() {
            for (j, kind) in channel.kinds.enumerated() where !names.contains(kind) {
                throw ConfigurationError(key: "notifications.channels[\(i)].kinds[\(j)]", problem: "names no kind in `kinds`: \"\(kind)\"")
            }
        }
        guard let name = configuration.defaultKind else { return }
        guard configuration.kinds.contains(where: { $0.name == name }) else {
            let known = configuration.kinds.map(\.name).sorted()
            throw ConfigurationError(key: "default_kind", problem: "names no kind in `kinds`: \"\(name)\" (known: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
    }
}
