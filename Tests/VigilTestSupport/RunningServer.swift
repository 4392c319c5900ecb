import Foundation

/// A child `vigil serve` process, ended by PID.
public final class RunningServer: @unchecked Sendable {
    public let process = Process()
    private let output = Pipe()

    /// - Parameter standardError: where the node's log (stderr) goes; discarded when `nil`.
    public init(binary: URL, arguments: [String], standardError: FileHandle? = nil) throws {
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = standardError ?? FileHandle.nullDevice
        try process.run()
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
        throw ServerError(message: "server did not report its address; output: \(text)")
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
