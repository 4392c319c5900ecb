import Coordinator
import CoordinatorCore
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import VigilJSON

/// Delivers events to PostgreSQL: the channel's statement run with each event's fields bound
/// as parameters (`$status` → `$1`, …; see ``PostgresStatement``), on a connection opened for
/// the attempt and closed after it. A grouped message's events run in one transaction, so a
/// group is delivered whole or not at all. Success is delivery; any error (connection, SQL,
/// timeout) is a failed attempt, retried by the outbox like a webhook's, so with an idempotent
/// statement each event reaches the table once as seen from the table.
struct PostgresChannel: Sendable {
    let dsn: PostgresDSN
    let statement: PostgresStatement
    let timeout: Duration
    let logger: Logger

    /// Runs the statement for the event (or each event of a group) in `body`, a `json` notification body.
    func deliver(_ body: JSONValue) async -> DeliveryResult {
        let events: [JSONValue] = if case .array(let members)? = body["events"] { members } else { [body] }
        do {
            try await withTimeout(timeout) { try await self.run(events) }
            return .delivered
        } catch let error as PSQLError {
            return .failed("postgres: \(Self.describe(error))")
        } catch {
            return .failed("postgres: \(error)")
        }
    }

    private func run(_ events: [JSONValue]) async throws {
        let connection = try await PostgresConnection.connect(configuration: configuration(), id: 1, logger: logger)
        do {
            if events.count > 1 { try await connection.query("BEGIN", logger: logger) }
            for event in events {
                try await connection.query(PostgresQuery(unsafeSQL: statement.sql, binds: Self.binds(statement.fields, event)), logger: logger)
            }
            if events.count > 1 { try await connection.query("COMMIT", logger: logger) }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private func configuration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = dsn.requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        var configuration = PostgresConnection.Configuration(host: dsn.host, port: dsn.port, username: dsn.user, password: dsn.password, database: dsn.database, tls: tls)
        configuration.options.connectTimeout = TimeAmount(timeout)
        return configuration
    }

    /// The event's fields in placeholder order: text the server converts to the column's type
    /// (a JSON number, boolean or object becomes its JSON text; a missing field or null, NULL).
    static func values(_ fields: [String], _ event: JSONValue) -> [String?] {
        fields.map { field in
            switch event[field] ?? .null {
            case .null: nil
            case .string(let text): text
            case .bool(let value): value ? "true" : "false"
            case .int(let value): String(value)
            case let other: String(decoding: JSONWriter.encode(other), as: UTF8.self)
            }
        }
    }

    static func binds(_ fields: [String], _ event: JSONValue) -> PostgresBindings {
        var binds = PostgresBindings(capacity: fields.count)
        for value in values(fields, event) {
            if let value { binds.append(UntypedText(value)) } else { binds.appendNull() }
        }
        return binds
    }

    /// The server's message and SQLSTATE, never the statement's values.
    static func describe(_ error: PSQLError) -> String {
        if let server = error.serverInfo, let message = server[.message] {
            return "\(message) (SQLSTATE \(server[.sqlState] ?? "?"))"
        }
        return "\(error.code)"
    }
}

/// A parameter sent as text with no type (OID 0), so PostgreSQL infers it from the statement:
/// `$status` compared with a text column is text, `$strikes` assigned to an integer column an integer.
struct UntypedText: PostgresNonThrowingEncodable {
    let text: String

    init(_ text: String) { self.text = text }

    static var psqlType: PostgresDataType { PostgresDataType(0) }
    static var psqlFormat: PostgresFormat { .text }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(text)
    }
}

/// Runs `work`, cancelled after `timeout` (then `TimeoutError`).
func withTimeout(_ timeout: Duration, _ work: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TimeoutError(timeout: timeout)
        }
        try await group.next()
        group.cancelAll()
    }
}

/// A delivery that did not finish within the channel's `timeout_s`.
struct TimeoutError: Error, CustomStringConvertible {
    var timeout: Duration
    var description: String { "no answer within \(timeout)" }
}
