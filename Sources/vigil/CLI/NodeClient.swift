import ArgumentParser
import AsyncHTTPClient
import Coordinator
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import CoordinatorCore
import VigilJSON

/// Talks to one node's HTTP API for the inspection commands, through AsyncHTTPClient: the
/// token as `Authorization: Bearer`, HTTPS verified against the system's roots or a CA file.
struct NodeClient {
    let baseURL: String
    /// Sent as a bearer token with every request (`--token`, `VIGIL_TOKEN`).
    var token: String?
    /// A PEM file of the CA that signed the node's certificate (`--ca-file`, `VIGIL_CA_FILE`).
    var caFile: String?

    /// The node said no, or could not be reached. Printed as one line; exit code 1.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func get(_ path: String) async throws(Failure) -> JSONValue {
        try await send(path, method: .GET, body: nil)
    }

    func post(_ path: String, json: String?, timeout: TimeInterval = 10) async throws(Failure) -> JSONValue {
        try await send(path, method: .POST, body: json, timeout: timeout)
    }

    private func makeClient() throws(Failure) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw Failure(description: "cannot read the CA file \(caFile): \(error)")
            }
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    private func send(_ path: String, method: HTTPMethod, body: String?, timeout: TimeInterval = 10) async throws(Failure) -> JSONValue {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let client = try makeClient()
        let outcome: Result<(status: UInt, bytes: [UInt8]), Failure>
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            outcome = .success((response.status.code, Array(buffer: try await response.body.collect(upTo: 64 << 20))))
        } catch {
            outcome = .failure(Failure(description: "cannot reach \(baseURL): \(Self.describe(error))"))
        }
        try? await client.shutdown()
        let (status, bytes) = try outcome.get()
        let value = try? JSONParser.parse(bytes)
        guard (200..<300).contains(status) else {
            let hint = status == 401 ? (token == nil ? " (give a token: --token or VIGIL_TOKEN)" : " (check --token / VIGIL_TOKEN)") : ""
            if case .object(let o)? = value, case .string(let message)? = o["message"] {
                throw Failure(description: "\(baseURL) answered \(status): \(message)\(hint)")
            }
            throw Failure(description: "\(baseURL) answered \(status)\(hint)")
        }
        guard let value else { throw Failure(description: "\(baseURL) answered with something that is not JSON") }
        return value
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOSSLError { return "TLS: \(error) (is --ca-file the CA that signed the node's certificate?)" }
        if let error = error as? HTTPClientError, error == .deadlineExceeded { return "no answer in time" }
        return "\(error)"
    }
}

/// Options every inspection command shares.
struct NodeOptions: ParsableArguments {
    @Option(help: "Node to ask (base URL). Default: the first node's HTTP address in --config.")
    var node: String?

    @Option(help: "Cluster configuration file (used to find the default node).")
    var config: String = "cluster.example.json"

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(help: "Bearer token for the node (default: $VIGIL_TOKEN). Never put it in the URL's query.")
    var token: String?

    @Option(help: "PEM file of the CA that signed the node's HTTPS certificate (default: $VIGIL_CA_FILE, else the system's roots).")
    var caFile: String?

    func client() throws(NodeClient.Failure) -> NodeClient {
        let environment = ProcessInfo.processInfo.environment
        let token = token ?? environment["VIGIL_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let caFile = caFile ?? environment["VIGIL_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if let node {
            let base = node.hasPrefix("http://") || node.hasPrefix("https://") ? node : "http://" + node
            return NodeClient(baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base, token: token, caFile: caFile)
        }
        do {
            let configuration = try ConfigurationLoader.load(path: config)
            let scheme = configuration.http.tls == nil ? "http" : "https"
            return NodeClient(baseURL: "\(scheme)://\(configuration.nodes[0].http)", token: token, caFile: caFile)
        } catch {
            throw NodeClient.Failure(description: "no --node given and \(config) is unusable: \(error)")
        }
    }
}

/// Runs `body`, turning a node failure into one line on stderr and exit code 1.
func reportingFailures(_ body: () async throws(NodeClient.Failure) -> Void) async throws {
    do {
        try await body()
    } catch {
        FileHandle.standardError.write(Data("vigil: \(error.description)\n".utf8))
        throw ExitCode(1)
    }
}
