import VigilJSON

extension ConfigurationLoader.Reader {
    /// Reads every key of `keys` that `object` holds into `root`, in the table's order, and
    /// returns the paths it found. Each object on the way (the root and every section such as
    /// `executions`) is first checked for keys the table does not name, so a key is written
    /// once, in its description; `extra` names what an item's own parser reads besides.
    @discardableResult
    func read<Root>(
        _ object: JSONObject, _ keys: [ConfigKey<Root>], into root: inout Root, extra: Set<String> = []
    ) throws(ConfigurationError) -> Set<String> {
        try checkKeys(object, allowed: ConfigKeys.names(keys, in: "").union(extra))
        var sections: [String: JSONObject?] = ["": object]
        var present: Set<String> = []
        for k in keys {
            let (section, name) = ConfigKeys.split(k.path)
            guard let container = try self.section(section, of: object, keys, seen: &sections), let value = container[name] else {
                if let problem = k.required { throw fail(k.path, problem) }
                continue
            }
            try k.readJSON(&root, value, key(k.path))
            present.insert(k.path)
        }
        return present
    }

    /// The object at the dotted `path` below `object`, checked for unknown keys the first time
    /// it is met; `nil` when the file leaves it out.
    private func section<Root>(
        _ path: String, of object: JSONObject, _ keys: [ConfigKey<Root>], seen: inout [String: JSONObject?]
    ) throws(ConfigurationError) -> JSONObject? {
        if let known = seen[path] { return known }
        let (parent, name) = ConfigKeys.split(path)
        var found: JSONObject?
        if let container = try section(parent, of: object, keys, seen: &seen), let value = container[name] {
            guard case .object(let o) = value else { throw fail(path, "must be an object, got \(value.kindName)") }
            try below(path).checkKeys(o, allowed: ConfigKeys.names(keys, in: path))
            found = o
        }
        seen[path] = .some(found)
        return found
    }
}

extension ConfigKeys {
    /// The names a table allows directly in the object at `section` (`""`: the root).
    static func names<Root>(_ keys: [ConfigKey<Root>], in section: String) -> Set<String> {
        let prefix = section.isEmpty ? "" : section + "."
        return Set(keys.compactMap { k -> String? in
            guard k.path.hasPrefix(prefix) else { return nil }
            return k.path.dropFirst(prefix.count).split(separator: ".", maxSplits: 1).first.map(String.init)
        })
    }

    /// A path's section and last name: `executions.max_strikes` → (`executions`, `max_strikes`).
    static func split(_ path: String) -> (section: String, name: String) {
        guard let dot = path.lastIndex(of: ".") else { return ("", path) }
        return (String(path[..<dot]), String(path[path.index(after: dot)...]))
    }
}
