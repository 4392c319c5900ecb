/// A request from a container or an operator that the core decides, possibly after a durable
/// write (``NodeInterpreter/submit(_:wallMs:now:)``).
public enum NodeRequest: Sendable {
    case heartbeat(Heartbeat)
    case completion(Completion)
    case registration(Registration)
    /// Pause (`true`) or resume sweeping cluster-wide.
    case pause(Bool)
    case keyring(KeyringBook.Change)
    /// End the mass-failure guard's hold cluster-wide (`vigil sweep release`).
    case releaseHold
}

/// Names one submitted request until it is answered.
public struct RequestID: Sendable, Hashable, CustomStringConvertible {
    public let value: UInt64
    public init(value: UInt64) { self.value = value }
    public var description: String { "request #\(value)" }
}

/// Names one batch of durable writes (one append, one fsync) until the store reports it.
public struct BatchID: Sendable, Hashable, CustomStringConvertible {
    public let value: UInt64
    public init(value: UInt64) { self.value = value }
    public var description: String { "batch #\(value)" }
}

/// Why a durable write failed, as the store (or the driver) reports it to the core.
public struct WriteFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure it was.
    public enum Code: String, Sendable, Equatable {
        /// The filesystem refused the write or the fsync (EIO, ENOSPC, EROFS, …).
        case io
        /// The store is closed.
        case closed
        /// The node is shutting down and no longer writes.
        case shuttingDown
        /// The store did not answer within the deadline (the write may still land).
        case stalled
    }

    public var code: Code
    /// What the store said, for logs and the 503's message.
    public var detail: String

    public init(_ code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}

/// The store could not make a fact durable, so the request was not applied. Maps to HTTP 503.
public struct StoreUnavailable: Error, Equatable, CustomStringConvertible {
    public var failure: WriteFailure

    public init(_ failure: WriteFailure) {
        self.failure = failure
    }

    /// What the store said.
    public var detail: String { failure.detail }
    public var description: String { "Store unavailable, nothing was recorded; retry later (\(failure.detail))" }
}
