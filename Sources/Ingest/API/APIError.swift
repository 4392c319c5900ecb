import Coordinator
import HTTPTypes
import Hummingbird
import NIOCore
import CoordinatorCore
import VigilJSON

/// An error a client caused, rendered in the seed's shape:
/// `{"status":"error","message":"Invalid execution_id format"}`.
public struct APIError: HTTPResponseError, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// What the client should fix, in one sentence.
    public var message: String
    /// Extra headers (e.g. `Allow` on 405).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(message)" }

    /// `{"status":"error","message":…}`.
    public var body: [UInt8] {
        var writer = JSONWriter(reservingCapacity: 64 + message.utf8.count)
        writer.raw("{\"status\":\"error\",\"message\":")
        writer.string(message)
        writer.raw("}")
        return writer.bytes
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// `400` with the given message.
    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }

    /// The seed's exact message for a bad execution id.
    public static let invalidExecutionID = APIError(.badRequest, "Invalid execution_id format")

    /// `409` for a request that contradicts a terminal status.
    public static func conflict(_ conflict: ExecutionConflict) -> APIError {
        APIError(.conflict, conflict.description)
    }
}
