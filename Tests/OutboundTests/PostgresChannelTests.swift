import Coordinator
import Testing
import VigilJSON

@testable import Outbound

/// What a postgres channel binds: the event's fields in placeholder order, as text or NULL,
/// whatever they hold (the SQL text is never touched by a value).
@Suite struct PostgresChannelTests {
    @Test func fieldsAreBoundInPlaceholderOrderAsTextOrNull() throws {
        let statement = try PostgresStatement(parsing: "UPDATE t SET s = $status, r = $reason, n = $strikes, p = $progress WHERE id = $execution_id AND $reminder")
        let event: JSONValue = .object([
            "execution_id": .string("550e8400-e29b-41d4-a716-446655440000"), "status": .string("failed"),
            "reason": .string("x'); DROP TABLE t; --"), "strikes": .int(3), "progress": .object(["percentage": .double(45)]),
            "reminder": .bool(false),
        ])
        #expect(statement.fields == ["status", "reason", "strikes", "progress", "execution_id", "reminder"])
        #expect(PostgresChannel.values(statement.fields, event) == [
            "failed", "x'); DROP TABLE t; --", "3", #"{"percentage":45.0}"#, "550e8400-e29b-41d4-a716-446655440000", "false",
        ])
        #expect(statement.sql == "UPDATE t SET s = $1, r = $2, n = $3, p = $4 WHERE id = $5 AND $6")
    }

    @Test func aMissingOrNullFieldIsNull() throws {
        let event: JSONValue = .object(["reason": .null])
        #expect(PostgresChannel.values(["reason", "container_id"], event) == [nil, nil])
    }
}
