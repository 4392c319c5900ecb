/// Where an execution stands. `completed` and `failed` are terminal: nothing moves an
/// execution out of them.
public enum ExecutionStatus: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case running = 0
    case completed = 1
    case failed = 2

    /// Parses the lowercase API form (`running`, `completed`, `failed`); case-insensitive.
    public init?(apiName: String) {
        switch apiName.lowercased() {
        case "running": self = .running
        case "completed": self = .completed
        case "failed": self = .failed
        default: return nil
        }
    }

    public var isTerminal: Bool { self != .running }

    /// The lowercase API form.
    public var description: String {
        switch self {
        case .running: "running"
        case .completed: "completed"
        case .failed: "failed"
        }
    }
}
