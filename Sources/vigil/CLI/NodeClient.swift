import ArgumentParser
import Coordinator
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
import CoordinatorCore
import VigilJSON
#endif

/// Talks to one node's HTTP API for the inspection commands.
struct NodeClient {
    let baseURL: String

    /// The node said no, or could not be reached. Printed as one line; exit code 1.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func get(_ path: String) async throws(Failure) -> JSONValue {
        try await send(path, method: "GET", body: nil)
    }

    func post(_ path: String, json: String?, timeout: TimeInterval = 10) async throws(Failure) -> JSONValue {
        try await send(path, method: "POST", body: json, timeout: timeout)
    }

    private func send(_ path: String, method: String, body: String?, timeout: TimeInterval = 10) async throws(Failure) -> JSONValue {
        guard let url = URL(string: baseURL + path) else { throw Failure(description: "invalid node URL \(baseURL)") }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw Failure(description: "cannot reach \(baseURL): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let value = try? JSONParser.parse(Array(data))
        guard (200..<300).contains(status) else {
            if case .object(let o)? = value, case .string(let message)? = o["message"] {
                throw Failure(description: "\(baseURL) answered \(status): \(message)")
            }
            throw Failure(description: "\(baseURL) answered \(status)")
        }
        guard let value else { throw Failure(description: "\(baseURL) answered with something that is not JSON") }
        return value
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

    func client() throws(NodeClient.Failure) -> NodeClient {
        if let node {
            let base = node.hasPrefix("http://") || node.hasPrefix("https://") ? node : "http://" + node
            return NodeClient(baseURL: base.hasSuffix("/") ? String(base.dropLast()) : base)
        }
        do {
            let configuration = try ConfigurationLoader.load(path: config)
            return NodeClient(baseURL: "http://\(configuration.nodes[0].http)")
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
