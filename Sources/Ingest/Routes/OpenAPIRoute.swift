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

    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        routes.add("/openapi.json", .get)
        router.get("/openapi.json") { _, _ -> Response in
            guard let document else { throw APIError(.notFound, "This build carries no OpenAPI document") }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
    }
}
