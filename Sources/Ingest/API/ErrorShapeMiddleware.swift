import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1
import Synchronization

/// Turns every error leaving a handler into the seed's error shape, so clients never see
/// Hummingbird's default bodies or a bare 500:
/// - a router miss on a known path with another method becomes `405` with `Allow`;
/// - an oversized body becomes `413` naming the limit;
/// - a body whose HTTP framing breaks while it is read becomes `400`;
/// - anything unexpected is logged and answered `500` in the same shape (a bug, never input).
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable
    let maxBodyBytes: Int
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try translate(error.status, request: request).response(from: request, context: context)
        } catch let error as HTTPParserError {
            // The body's framing broke while it was read (e.g. a bad chunk size): the client's fault.
            return try APIError(.badRequest, "Malformed HTTP request: \(MalformedRequestHandler.describe(error))", headers: [.connection: "close"])
                .response(from: request, context: context)
        } catch {
            logger.error("Unhandled error in request", metadata: ["http.path": "\(request.uri.path)", "error": "\(error)"])
            return try APIError(.internalServerError, "Internal error; the node logged the details").response(from: request, context: context)
        }
    }

    private func translate(_ status: HTTPResponse.Status, request: Request) -> APIError {
        switch status {
        case .notFound:
            let path = request.uri.path
            if let allowed = routes.allowedMethods(path: path), !allowed.contains(request.method) {
                let list = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                return APIError(
                    .methodNotAllowed, "Method \(request.method.rawValue) is not allowed on \(path); use \(list)",
                    headers: [.allow: list]
                )
            }
            return APIError(.notFound, "No route for \(request.method.rawValue) \(path)")
        case .contentTooLarge:
            return APIError(.contentTooLarge, "Request body exceeds the limit of \(maxBodyBytes) bytes (http.max_body_bytes)")
        default:
            return APIError(status, status.reasonPhrase.isEmpty ? "HTTP \(status.code)" : status.reasonPhrase)
        }
    }
}

/// The API's paths and methods, used to tell 405 from 404. `{}` matches one path component.
///
/// A reference type because Hummingbird applies middleware only to routes added after it: the
/// middleware is installed first and the table filled as routes are added. Read only on misses.
final class RouteTable: Sendable {
    private struct Entry {
        var components: [Substring]
        var methods: Set<HTTPRequest.Method>
    }

    private let entries = Mutex<[Entry]>([])

    func add(_ path: String, _ method: HTTPRequest.Method) {
        let components = path.split(separator: "/")
        entries.withLock { entries in
            if let i = entries.firstIndex(where: { $0.components == components }) {
                entries[i].methods.insert(method)
            } else {
                entries.append(Entry(components: components, methods: [method]))
            }
        }
    }

    /// Every route: its path (`{}` for a parameter) and method.
    var all: [(path: String, method: HTTPRequest.Method)] {
        entries.withLock { entries in
            entries.flatMap { entry in
                entry.methods.map { ("/" + entry.components.joined(separator: "/"), $0) }
            }
        }
    }

    func allowedMethods(path: String) -> Set<HTTPRequest.Method>? {
        let parts = path.split(separator: "/")
        return entries.withLock { entries in
            for entry in entries where entry.components.count == parts.count {
                if zip(entry.components, parts).allSatisfy({ $0 == "{}" || $0 == $1 }) { return entry.methods }
            }
            return nil
        }
    }
}
