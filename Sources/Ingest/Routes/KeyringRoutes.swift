import Coordinator
import CoordinatorCore
import Gossip
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import VigilJSON

/// The gossip keyring, Serf's `keyring` commands over HTTP (admin token):
/// `GET /admin/keyring` (each key by fingerprint, how many live nodes hold it, which seals) and
/// `POST /admin/keyring/install|use|remove` with `{"key": …}`. A change is durable in the store
/// before it is acknowledged, and every node applies it when it reads the store. Keys are never
/// shown or logged, only their fingerprints.
enum KeyringRoutes {
    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        routes.add("/admin/keyring", .get)
        router.get("/admin/keyring") { _, _ -> Response in
            ExecutionRoutes.json(listing(ctx))
        }
        for verb in ["install", "use", "remove"] {
            routes.add("/admin/keyring/\(verb)", .post)
            router.post(RouterPath("/admin/keyring/\(verb)")) { request, _ -> Response in
                let body = try await JSONBody.object(request, maxBytes: ctx.maxBodyBytes)
                guard case .string(let text)? = body["key"], !text.isEmpty else {
                    throw APIError.badRequest("key is required: a base64 key from `vigil keygen`, \(verb == "install" ? "" : "a key's fingerprint, ")or \"plaintext\"")
                }
                let change = try change(verb: verb, text: text, book: ctx.node.keyring)
                let book = ctx.node.keyring
                do throws(KeyringBook.Refusal) {
                    try book.check(change, live: ctx.node.liveKeyrings(), name: KeyringReport.name)
                } catch {
                    throw APIError(.conflict, error.description)
                }
                let unchanged: Bool =
                    switch change {
                    case .install(let key): book.keys.contains(key)
                    case .use(let key): book.primary == key
                    case .remove(let key): !book.keys.contains(key)
                    }
                if !unchanged {
                    try await MonitoringRoutes.durably { () async throws(StoreUnavailable) in
                        try await ctx.node.changeKeyring(change, wallMs: ctx.nowMs())
                    }
                    ctx.logger.notice("Gossip keyring changed", metadata: ["keyring.change": "\(verb)", "keyring.key": "\(KeyringReport.name(key(of: change)))"])
                }
                return ExecutionRoutes.json(listing(ctx, changed: !unchanged))
            }
        }
    }

    static func key(of change: KeyringBook.Change) -> KeyringBook.Key {
        switch change {
        case .install(let k), .use(let k), .remove(let k): k
        }
    }

    /// The change a request names. `install` needs the key itself; `use` and `remove` also take
    /// the fingerprint of an installed key.
    static func change(verb: String, text: String, book: KeyringBook) throws(APIError) -> KeyringBook.Change {
        var key: KeyringBook.Key
        if text == "plaintext" {
            key = .plaintext
        } else if GossipKeyring.fingerprint(base64: text) != nil {
            key = .key(text)
        } else if verb != "install", let installed = book.keys.first(where: { KeyringReport.name($0) == text }) {
            key = installed
        } else {
            throw APIError.badRequest(
                verb == "install"
                    ? "key must be base64 of 32 bytes (make one with `vigil keygen`) or \"plaintext\""
                    : "key must be an installed key, its fingerprint (vigil keyring list) or \"plaintext\""
            )
        }
        if case .key(let text) = key, let installed = book.keys.first(where: { KeyringReport.name($0) == GossipKeyring.fingerprint(base64: text) }) {
            key = installed
        }
        switch verb {
        case "install": return .install(key)
        case "use": return .use(key)
        default: return .remove(key)
        }
    }

    /// `{"keys":[{"key":fingerprint,"primary":…,"nodes":…}],"live_nodes":…,"sealed":…,"nodes":{id:[…]}}`.
    static func listing(_ ctx: IngestContext, changed: Bool? = nil) -> JSONValue {
        let book = ctx.node.keyring
        let live = ctx.node.liveKeyrings()
        var names = book.keys.map(KeyringReport.name)
        for ring in live.values { for name in ring where !names.contains(name) { names.append(name) } }
        return .object([
            "keys": .array(names.map { name in
                .object([
                    "key": .string(name),
                    "primary": .bool(name == KeyringReport.name(book.primary)),
                    "installed_here": .bool(book.keys.map(KeyringReport.name).contains(name)),
                    "nodes": .int(Int64(live.values.filter { $0.contains(name) }.count)),
                    "sealing_nodes": .int(Int64(live.values.filter { $0.first == name }.count)),
                ])
            }),
            "live_nodes": .int(Int64(live.count)),
            "sealed": .bool(book.isSealed),
            "changed": changed.map { .bool($0) } ?? .null,
            "nodes": .object(JSONObject(live.sorted { $0.key < $1.key }.map { JSONObject.Member(key: $0.key, value: .array($0.value.map { .string($0) })) })),
        ])
    }
}
