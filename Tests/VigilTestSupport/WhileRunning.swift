/// Runs `run` (a service's `run()`, e.g. a node's driver) in a child task while `body` runs,
/// then cancels it and waits for it to end.
public func whileRunning<R>(_ run: @escaping @Sendable () async throws -> Void, _ body: () async throws -> R) async throws -> R {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await run() }
        defer { group.cancelAll() }
        return try await body()
    }
}
