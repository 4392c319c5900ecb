import Foundation

/// A child `vigil serve` process, ended by PID.
public final class RunningServer: @unchecked Sendable {
    public let process = Process()
    private let output = Pipe()

    /// Where the node's log goes when the caller gives none: a temporary file, so a node that
    /// exits before it listens says why in the test's failure (a pipe nobody drains would
    /// block a node that logs).
    private let logFile: URL?

    /// - Parameter standardError: where the node's log (stderr) goes; a temporary file when `nil`.
    public init(binary: URL, arguments: [String], standardError: FileHandle? = nil) throws {
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = output
        if let standardError {
            logFile = nil
            process.standardError = standardError
        } else {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-server-\(UUID().uuidString).log")
            FileManager.default.createFile(atPath: file.path, contents: nil)
            logFile = file
            process.standardError = try FileHandle(forWritingTo: file)
        }
        try process.run()
    }

    deinit {
        if let logFile { try? FileManager.default.removeItem(at: logFile) }
    }

    /// The last lines the node logged (when its log went to the temporary file).
    var logTail: String {
        guard let logFile, let text = try? String(contentsOf: logFile, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(5).joined(separator: "\n")
    }

    /// Reads stdout until the "listening on" line and returns the base URL.
    public func waitForURL(timeout: Duration) async throws -> String {
        let handle = output.fileHandleForReading
        let deadline = ContinuousClock.now + timeout
        var text = ""
        while ContinuousClock.now < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty {
                guard process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: "listening on "), let end = text[range.upperBound...].firstIndex(of: "\n") {
                return String(text[range.upperBound..<end])
            }
        }
        let exit = process.isRunning ? "still running" : "exited \(process.terminationStatus)"
        throw ServerError(message: "server did not report its address (\(exit)); output: \(text); log: \(logTail)")
    }

    /// SIGTERM, then waits; returns the exit status.
    public func terminate(timeout: Duration) async throws -> Int32 {
        process.terminate()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        guard !process.isRunning else { throw ServerError(message: "server ignored SIGTERM") }
        return process.terminationStatus
    }

    /// SIGKILL if still running.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// SIGKILL (a crash: no graceful shutdown), then waits until the process is gone.
    public func killAndWait(timeout: Duration) async throws {
        stop()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        guard !process.isRunning else { throw ServerError(message: "server survived SIGKILL") }
    }

    public struct ServerError: Error { public var message: String }
}
