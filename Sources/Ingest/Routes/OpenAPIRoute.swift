import Coordinator
import CoordinatorCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /openapi.json`: the OpenAPI 3.1 document of every route (a resource of this module,
/// `OpenAPI/openapi.json`), open to all (it describes the API; it holds no data). A test checks
/// its paths against the router's routes, and `scripts/tests/openapi-fuzz.sh` attacks a live node
/// with it.
enum OpenAPIRoute {
    /// The document's bytes; `nil` when the resource is missing (a packaging error).
    static let document: [UInt8]? = {
        let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "OpenAPI")
            ?? Bundle.module.url(forResource: "openapi", withExtension: "json")
        return url.flatMap { FileManager.default.contents(atPath: $0.path) }.map(Array.init)
    }()

    /// The document as this node serves it: a request's `kind` may only name one of the
    /// configured kinds (or be null), so the schema says exactly which, and a client or a fuzzer
    /// generating from it sends only what this node takes.
    static func document(kinds: [String]) -> [UInt8]? {
        guard let document, var root = (try? JSONSerialization.jsonObject(with: Data(document))) as? [String: Any],
            var components = root["components"] as? [String: Any], var schemas = components["schemas"] as? [String: Any]
        else { return document }
        for name in ["HeartbeatRequest", "RegistrationRequest"] {
            guard var schema = schemas[name] as? [String: Any], var properties = schema["properties"] as? [String: Any],
                var kind = properties["kind"] as? [String: Any]
            else { continue }
            if kinds.isEmpty {
                kind = ["type": "null", "description": "No kinds are configured on this cluster: only null (any name is a 400 naming kind)."]
            } else {
                kind["enum"] = kinds.sorted() + [NSNull()]
            }
            properties["kind"] = kind
            schema["properties"] = properties
            schemas[name] = schema
        }
        components["schemas"] = schemas
        root["components"] = components
        return (try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])).map(Array.init) ?? document
    }

    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        routes.add("/openapi.json", .get)
        let document = Self.document(kinds: Array(ctx.node.configuration.ruleCatalog.kinds.keys))
        router.get("/openapi.json") { _, _ -> Response in
            guard let document else { throw APIError(.notFound, "This build carries no OpenAPI document") }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
    }
}
