import Coordinator
import HTTPTypes
import Hummingbird
import NIOCore
import Foundation
import CoordinatorCore
import VigilJSON

/// Reads a request body as one JSON object, enforcing the content type and size limit.
enum JSONBody {
    static func object(_ request: Request, maxBytes: Int) async throws -> JSONObject {
        if let type = request.headers[.contentType], !isJSON(type) {
            throw APIError(.unsupportedMediaType, "Content-Type must be application/json, got \(type)")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            throw APIError(.contentTooLarge, "Request body of \(length) bytes exceeds the limit of \(maxBytes) bytes (http.max_body_bytes)")
        }
        let buffer = try await request.body.collect(upTo: maxBytes)
        return try object(buffer)
    }

    /// Parses a complete body as one JSON object.
    static func object(_ buffer: ByteBuffer) throws(APIError) -> JSONObject {
        let parsed: Result<JSONValue, JSONParseError> = buffer.withUnsafeReadableBytes { raw in
            Result { () throws(JSONParseError) in try JSONParser.parse(raw) }
        }
        switch parsed {
        case .success(.object(let object)): return object
        case .success(let other): throw APIError.badRequest("Request body must be a JSON object, got \(other.kindName)")
        case .failure(let error): throw APIError.badRequest("Malformed JSON: \(error)")
        }
    }

    /// `application/json`, optionally with parameters, or any `+json` type; case-insensitive.
    static func isJSON(_ contentType: String) -> Bool {
        if contentType == "application/json" { return true }  // the usual case, checked first: hot path
        var type = Substring(contentType)
        if let semicolon = type.firstIndex(of: ";") { type = type[..<semicolon] }
        let trimmed = type.lowercased().trimmingCharacters(in: .whitespaces)
        return trimmed == "application/json" || (trimmed.hasPrefix("application/") && trimmed.hasSuffix("+json"))
    }
}
