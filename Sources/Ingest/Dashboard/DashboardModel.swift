import Coordinator
import CoordinatorCore
import VigilJSON

/// What the dashboard shows, as one JSON value: the page's first render (Mustache) and its
/// live updates (`GET /api/v1/dashboard`) use the same data, so they never disagree.
struct DashboardModel: Sendable {
    let ctx: IngestContext

    /// The dashboard's status filter: the four states people see (LATE = running with strikes).
    enum Filter: String, CaseIterable {
        case all = "", running, late, stalled, failed, completed
    }

    struct Query: Sendable {
        var filter: Filter = .all
        var search = ""
        /// Only executions of this kind (`""`: any; issue 24).
        var kind = ""
        var after: ExecutionID?
        var limit = 50
    }

    func json(_ query: Query) -> JSONValue {
        let node = ctx.node
        let time = node.timestamps
        let status = node.sweepStatus
        let nowMs = ctx.nowMs()
        let judge = node.now().judge
        let page = executions(query)
        var counts = node.executions.counts
        let late = node.executions.lateCount()
        counts.running -= late
        let storeRead = node.storeReadThrough.map { Double(judge - $0) / 1000 }
        var next: String?
        if let cursor = page.next {
            next = "/?" + [("status", query.filter.rawValue), ("q", query.search), ("kind", query.kind), ("after", cursor.description)].filter { !$0.1.isEmpty }
                .map { "\($0.0)=\(Self.percentEncoded($0.1))" }.joined(separator: "&")
        }
        return .object([
            "node": .string(node.id),
            "cluster": .string(node.configuration.cluster),
            "timezone": .string(node.configuration.timezone),
            "now": .string(time.iso8601(unixMs: nowMs)),
            "leader": status.leader.map { .string($0) } ?? .string("none"),
            "term": .int(Int64(status.term)),
            "quorum": .string(status.quorum ? "yes" : "NO"),
            "pausedText": .string(status.paused ? "sweeping and probing STOPPED" : "sweeping"),
            "storeText": .string(storeText(storeRead)),
            "members": .array((node.cluster?.memberList() ?? []).map { m in
                .object(["id": .string(m.id), "state": .string(m.state), "http": .string(m.http.map { "\($0)" } ?? "")])
            }),
            "counts": .object([
                "running": .int(Int64(counts.running)), "late": .int(Int64(late)), "completed": .int(Int64(counts.completed)), "failed": .int(Int64(counts.failed)),
            ]),
            "statusOptions": .array(Filter.allCases.map { f in
                .object(["value": .string(f.rawValue), "label": .string(f == .all ? "all" : f.rawValue.uppercased()), "selected": .bool(f == query.filter)])
            }),
            "query": .string(query.search),
            "kindOptions": .array(([""] + node.configuration.kinds.map(\.name)).map { k in
                .object(["value": .string(k), "label": .string(k.isEmpty ? "all" : k), "selected": .bool(k == query.kind)])
            }),
            "executions": .array(page.records.map { row($0, judge: judge, rules: page.rules) }),
            "nextLink": next.map { .string($0) } ?? .null,
            "hasNext": .bool(next != nil),
            "marks": .array(node.executions.failureMarks(limit: 10).map { r in
                .object([
                    "id": .string(r.id.description), "at": .string((r.terminal?.finishedAtMs).map { time.iso8601(unixMs: $0) } ?? ""),
                    "reason": .string(r.terminal?.reason ?? ""),
                ])
            }),
            "services": .array(node.services.map { service in
                let state = ServiceRoutes.json(service, ctx: ctx)
                let last = state["last_probe"]
                return .object([
                    "name": .string(service.settings.name),
                    "status": state["status"] ?? .string("unknown"),
                    "detail": .string(last.flatMap { $0 == .null ? nil : "\(Self.text($0["result"])) in \(Self.text($0["latency_ms"])) ms" } ?? service.settings.url),
                ])
            }),
            "notificationsPending": .int(Int64(node.notifications.pending.count)),
        ])
    }

    /// One page of executions, filtered and searched on the server (never the whole table).
    func executions(_ query: Query) -> (records: [ExecutionRecord], next: ExecutionID?, rules: RuleTable) {
        let search = query.search.lowercased()
        let idLike = !search.isEmpty && search.allSatisfy { $0.isHexDigit || $0 == "-" }
        let nibbles: [UInt8] = idLike ? search.compactMap { $0.hexDigitValue.map(UInt8.init) } : []
        let needle = Array(query.search.utf8)
        let late = query.filter == .late
        let rules = ctx.node.executions.rules
        let ruleFilter = RuleFilter(rules: rules, kind: query.kind.isEmpty ? nil : query.kind, stalledOnly: query.filter == .stalled, now: ctx.node.now().judge).predicate
        var predicate: (@Sendable (ExecutionRecord) -> Bool)?
        if !search.isEmpty || late || ruleFilter != nil {
            predicate = { (record: ExecutionRecord) -> Bool in
                if late && record.strikes == 0 { return false }
                if let ruleFilter, !ruleFilter(record) { return false }
                if search.isEmpty { return true }
                return (idLike && nibbles.count <= 32 && record.id.hasHexPrefix(nibbles)) || record.containerContains(needle)
            }
        }
        let status: ExecutionStatus? =
            switch query.filter {
            case .all: nil
            case .running, .late, .stalled: .running
            case .failed: .failed
            case .completed: .completed
            }
        var page = ctx.node.executions.page(status: status, after: query.after, limit: query.limit, where: predicate)
        if query.filter == .running { page.records = page.records.filter { $0.strikes == 0 } }
        return (page.records, page.next, rules)
    }

    func row(_ r: ExecutionRecord, judge: JudgeTime, rules: RuleTable = RuleTable()) -> JSONValue {
        let display = r.status == .running && r.strikes > 0 ? "late" : r.status.description
        let rule = rules[r.rule]
        let stalledSince = ExecutionTable.stalledSince(r, rule: rule, now: judge)
        let progress = r.progress?.object
        var percent: Double?
        if let p = progress?["percentage"]?.numberValue {
            percent = p
        } else if let crawled = progress?["crawled_urls"]?.numberValue, let total = progress?["total_urls"]?.numberValue, total > 0 {
            percent = crawled / total * 100
        }
        let clamped = percent.map { min(100, max(0, $0)) }
        var stage = Self.text(progress?["current_stage"])
        if let url = progress?["current_url"], url != .null { stage += (stage.isEmpty ? "" : " · ") + Self.text(url) }
        return .object([
            "id": .string(r.id.description),
            "shortID": .string(String(r.id.description.prefix(8)) + "…"),
            "display": .string(display),
            "displayLabel": .string(display.uppercased()),
            "container": .string(r.containerID),
            "lastHeartbeat": .string(r.lastHeartbeatMs.map { ctx.node.timestamps.iso8601(unixMs: $0) } ?? "never"),
            "age": .string(r.lastHeartbeatMs == nil ? "-" : Self.age(Double(max(0, judge - r.seen)) / 1000)),
            "strikes": .int(Int64(r.strikes)),
            "percent": .double(((clamped ?? 0) * 10).rounded() / 10),
            "percentText": .string(clamped.map { "\((($0 * 10).rounded() / 10).formatted1)%" } ?? ""),
            "stage": .string(stage),
            "kind": .string(rule?.kind ?? ""),
            "rule": .string((rule ?? ExecutionRule(SweepRule(ctx.node.configuration.executions))).description),
            "stalled": .bool(stalledSince != nil),
            "stalledSince": .string(stalledSince.map { ctx.node.timestamps.iso8601(unixMs: $0) } ?? ""),
        ])
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s)?: s
        case .int(let i)?: String(i)
        case .double(let d)?: String(d)
        case .bool(let b)?: String(b)
        case nil, .null?: ""
        case let other?: other.jsonText
        }
    }

    /// The store line: in memory, STALLED (this node's appends or reads hang), fresh or lagging.
    func storeText(_ storeRead: Double?) -> String {
        let node = ctx.node
        guard node.store != nil else { return "in memory" }
        if let stalledMs = node.storeStalledMs {
            return "STALLED for \(Self.age(Double(stalledMs) / 1000)): not leading, refusing durable requests"
        }
        return storeRead.map { $0 < 10 ? "fresh (read \(Self.age($0)) ago)" : "LAGGING (read \(Self.age($0)) ago)" } ?? "not read yet"
    }

    static func age(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        return "\(s / 3600)h\(s / 60 % 60)m"
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 128, c.isLetter || c.isNumber || "-_.~".contains(c) { out.append(c) } else { out += "%" + String(byte, radix: 16, uppercase: true).leftPadded }
        }
        return out
    }
}

extension Double {
    /// `40`, `40.5`.
    fileprivate var formatted1: String { self == rounded() ? String(Int(self)) : String(self) }
}

extension String {
    fileprivate var leftPadded: String { count == 1 ? "0" + self : self }
}

extension JSONValue {
    /// The value as Mustache renders it (dictionaries, arrays, strings, numbers, booleans).
    var mustacheContext: Any {
        switch self {
        case .null: return ""
        case .bool(let b): return b
        case .int(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .array(let a): return a.map(\.mustacheContext)
        case .object(let o): return Dictionary(o.members.map { ($0.key, $0.value.mustacheContext) }, uniquingKeysWith: { _, last in last })
        }
    }
}

extension ExecutionID {
    /// Whether the id's hex digits start with `nibbles` (dashes ignored), without allocating.
    func hasHexPrefix(_ nibbles: [UInt8]) -> Bool {
        for (i, nibble) in nibbles.enumerated() {
            let word = i < 16 ? high : low
            let shift = UInt64(60 - 4 * (i % 16))
            if UInt8((word >> shift) & 0xF) != nibble { return false }
        }
        return true
    }
}
