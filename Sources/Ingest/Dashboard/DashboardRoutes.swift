import Coordinator
import CoordinatorCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import VigilJSON

/// The dashboard every node serves from its own view: `GET /` (HTML, Mustache, every value
/// escaped), `GET /assets/{name}` (embedded resources, long-cached by version),
/// `GET /api/v1/dashboard` (its data, polled every second by the page) and badges
/// (`/badge/{execution_id}.svg|.json`, `/badge/cluster.svg|.json`).
///
/// Live updates poll the JSON API rather than holding a server-sent event stream: a poll a
/// second meets "within a second", works through every proxy and load balancer, costs the node
/// no long-lived connection per viewer, and reuses the paged, server-filtered query.
enum DashboardRoutes {
    /// The page template and assets, read once from the package's resources.
    struct Assets: Sendable {
        let template: MustacheTemplate
        let files: [String: (type: String, bytes: [UInt8])]
        /// Changes with the assets' content (their cache key).
        let version: String

        static let shared: Assets? = load()

        static func load() -> Assets? {
            func read(_ name: String, _ ext: String) -> [UInt8]? {
                Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Assets")
                    .flatMap { FileManager.default.contents(atPath: $0.path) }.map(Array.init)
                    ?? Bundle.module.url(forResource: name, withExtension: ext).flatMap { FileManager.default.contents(atPath: $0.path) }.map(Array.init)
            }
            guard let page = read("index", "mustache"), let js = read("app", "js"), let css = read("app", "css"),
                let template = try? MustacheTemplate(string: String(decoding: page, as: UTF8.self))
            else { return nil }
            var hash: UInt64 = 14_695_981_039_346_656_037
            for byte in page + js + css { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
            return Assets(
                template: template,
                files: ["app.js": ("text/javascript; charset=utf-8", js), "app.css": ("text/css; charset=utf-8", css)],
                version: String(hash % 1_000_000_007, radix: 36)
            )
        }
    }

    static func add(to router: Router<IngestRequestContext>, routes: RouteTable, context ctx: IngestContext) {
        let model = DashboardModel(ctx: ctx)
        routes.add("/", .get)
        router.get("/") { request, _ -> Response in
            guard let assets = Assets.shared else { throw APIError(.internalServerError, "The dashboard's assets are missing from this build") }
            let query = try parse(request)
            guard case .object(var data) = model.json(query) else { throw APIError(.internalServerError, "dashboard data") }
            data.members.append(.init(key: "version", value: .string(assets.version)))
            let html = assets.template.render(JSONValue.object(data).mustacheContext)
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .xContentTypeOptions: "nosniff"],
                body: .init(byteBuffer: ByteBuffer(string: html))
            )
        }
        routes.add("/assets/{}", .get)
        router.get("/assets/{name}") { _, context -> Response in
            guard let assets = Assets.shared, let name = context.parameters.get("name"), let file = assets.files[name] else {
                throw APIError(.notFound, "No such asset")
            }
            return Response(
                status: .ok,
                headers: [.contentType: file.type, .cacheControl: "public, max-age=31536000, immutable", .xContentTypeOptions: "nosniff"],
                body: .init(byteBuffer: ByteBuffer(bytes: file.bytes))
            )
        }
        routes.add("/api/v1/dashboard", .get)
        router.get("/api/v1/dashboard") { request, _ -> Response in
            var response = ExecutionRoutes.json(model.json(try parse(request)))
            response.headers[.cacheControl] = "no-store"
            return response
        }
        routes.add("/badge/{}", .get)
        router.get("/badge/{file}") { _, context -> Response in try badge(context.parameters.get("file") ?? "", ctx: ctx) }
    }

    /// A badge for `file`: `cluster` or an execution id, `.svg` (the default) or `.json` (shields.io endpoint).
    static func badge(_ file: String, ctx: IngestContext) throws(APIError) -> Response {
        let (name, svg): (Substring, Bool) =
            file.hasSuffix(".svg") ? (file.dropLast(4), true) : file.hasSuffix(".json") ? (file.dropLast(5), false) : (Substring(file), true)
        var status = HTTPResponse.Status.ok
        let badge: Badge
        if name == "cluster" {
            badge = clusterBadge(ctx)
        } else {
            guard let id = ExecutionID(String(name)) else { throw APIError.badRequest("Invalid execution_id format") }
            if let record = ctx.node.executions.record(id) {
                let state = record.status == .running && record.strikes > 0 ? "late" : record.status.description
                badge = Badge(label: "job", message: state, color: Badge.colors[state] ?? "#6b7075")
            } else {
                status = .notFound
                badge = Badge(label: "job", message: "unknown", color: Badge.colors["unknown"]!)
            }
        }
        let headers: HTTPFields = [.cacheControl: "no-cache, max-age=0", .xContentTypeOptions: "nosniff"]
        if svg {
            var h = headers
            h[.contentType] = "image/svg+xml; charset=utf-8"
            return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(string: badge.svg)))
        }
        var response = ExecutionRoutes.json(
            .object(["schemaVersion": .int(1), "label": .string(badge.label), "message": .string(badge.message), "color": .string(badge.color)]), status: status
        )
        response.headers[.cacheControl] = "no-cache, max-age=0"
        return response
    }

    /// The cluster: nodes alive of configured, the leader; green with everyone, amber with a
    /// quorum, red without.
    static func clusterBadge(_ ctx: IngestContext) -> Badge {
        let configured = ctx.node.configuration.nodes.count
        let alive = ctx.node.cluster?.memberList().filter { $0.state == "alive" }.count ?? 1
        let status = ctx.node.sweepStatus
        let message = "\(alive)/\(configured) up" + (status.leader.map { ", leader \($0)" } ?? ", no leader")
        let color = !status.quorum ? "#c62828" : alive < configured ? "#c77700" : "#2e7d32"
        return Badge(label: "vigil", message: message, color: color)
    }

    static func parse(_ request: Request) throws(APIError) -> DashboardModel.Query {
        var query = DashboardModel.Query()
        let params = request.uri.queryParameters
        if let text = params["status"] {
            guard let filter = DashboardModel.Filter(rawValue: String(text).lowercased()) else {
                throw APIError.badRequest("status must be one of running, late, stalled, failed, completed (or empty for all)")
            }
            query.filter = filter
        }
        if let text = params["kind"] {
            guard text.unicodeScalars.count <= 64 else { throw APIError.badRequest("kind must be at most 64 characters") }
            query.kind = String(text)
        }
        if let text = params["q"] {
            guard text.unicodeScalars.count <= 200 else { throw APIError.badRequest("q must be at most 200 characters") }
            query.search = String(text).trimmingCharacters(in: .whitespaces)
        }
        if let text = params["after"], !text.isEmpty {
            guard let id = ExecutionID(String(text)) else { throw APIError.badRequest("after must be an execution_id (UUID)") }
            query.after = id
        }
        if let text = params["limit"] {
            guard let n = Int(text), (1...500).contains(n) else { throw APIError.badRequest("limit must be an integer from 1 to 500") }
            query.limit = n
        }
        return query
    }
}
