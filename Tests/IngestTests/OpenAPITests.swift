import Coordinator
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ingest
import Synchronization
import Testing
import VigilJSON

/// The served OpenAPI document stays true to the router: the same (path, method) pairs, and the
/// access rules the gate applies documented on every operation.
@Suite struct OpenAPITests {
    final class Box: Sendable {
        let value = Mutex<JSONObject?>(nil)
    }

    static let methods = ["get", "post", "put", "delete", "patch", "head", "options"]

    func document() async throws -> JSONObject {
        let node = try TestNode(http: HTTPSettings(adminToken: "admin-token-0123456789"))
        let doc = Box()
        try await node.test { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok, "/openapi.json needs no token")
                doc.value.withLock { $0 = try? parse(response.body) }
            }
        }
        return doc.value.withLock { $0 } ?? JSONObject()
    }

    /// `/api/v1/executions/{id}` → `/api/v1/executions/{}`, as the route table writes parameters.
    static func normalized(_ path: String) -> String {
        "/" + path.split(separator: "/").map { $0.hasPrefix("{") ? "{}" : String($0) }.joined(separator: "/")
    }

    @Test func everyRouteIsDocumentedAndNothingElse() async throws {
        let doc = try await document()
        #expect(doc["openapi"] == .string("3.1.0"))
        guard case .object(let paths)? = doc["paths"] else { Issue.record("no paths"); return }
        var documented: Set<String> = []
        for member in paths.members {
            guard case .object(let item) = member.value else { continue }
            for method in Self.methods where item[method] != nil {
                documented.insert("\(method.uppercased()) \(Self.normalized(member.key))")
            }
        }
        let node = try TestNode()
        let routed = Set(node.server.routeList().map { "\($0.method) \($0.path == "/" ? "/" : $0.path)" })
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
        #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
    }

    @Test func everyOperationDocuments401ExceptTheDocumentItself() async throws {
        let doc = try await document()
        guard case .object(let paths)? = doc["paths"] else { Issue.record("no paths"); return }
        for member in paths.members {
            guard case .object(let item) = member.value else { continue }
            for method in Self.methods {
                guard case .object(let operation)? = item[method] else { continue }
                guard case .object(let responses)? = operation["responses"] else {
                    Issue.record("\(method) \(member.key) has no responses")
                    continue
                }
                let has401 = responses["401"] != nil
                #expect(has401 == (member.key != "/openapi.json"), "\(method) \(member.key): 401 documented \(has401)")
                #expect(operation["operationId"] != nil, "\(method) \(member.key) has no operationId")
            }
        }
    }
}
