/// A start-up step that cannot go on: one line for stderr and the exit code `vigil serve` ends with
/// (2: the configuration or a setting is refused; 1: the store or a socket failed).
public struct StartupFailure: Error, CustomStringConvertible, Equatable {
    public var line: String
    public var exitCode: Int32

    public init(_ line: String, exitCode: Int32) {
        self.line = line
        self.exitCode = exitCode
    }

    public var description: String { line }
}
