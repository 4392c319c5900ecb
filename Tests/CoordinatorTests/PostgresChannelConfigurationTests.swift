import Coordinator
import Testing

/// The postgres channel's statement (named fields to `$n`, quotes and comments left alone) and
/// DSN, and how the loader reads and refuses such a channel.
@Suite struct PostgresStatementTests {
    @Test func namedFieldsBecomePositionalInFirstUseOrder() throws {
        let s = try PostgresStatement(parsing: "UPDATE pipeline_task SET status = $status, error_log = $reason WHERE execution_id = $execution_id OR $status IS NULL")
        #expect(s.sql == "UPDATE pipeline_task SET status = $1, error_log = $2 WHERE execution_id = $3 OR $1 IS NULL")
        #expect(s.fields == ["status", "reason", "execution_id"])
    }

    @Test func quotesCommentsAndDollarQuotesAreNotPlaceholders() throws {
        let text = "SELECT '$status', \"$reason\", $tag$ $node $tag$, $$ $term $$ -- $key\n/* $event */ FROM t WHERE id = $execution_id::uuid AND x = 'it''s $sender'"
        let s = try PostgresStatement(parsing: text)
        #expect(s.fields == ["execution_id"])
        #expect(s.sql == text.replacing("$execution_id", with: "$1"))
    }

    @Test func unknownAndPositionalPlaceholdersAreRefused() {
        #expect(throws: PostgresStatement.ParseError.self) { try PostgresStatement(parsing: "UPDATE t SET a = $1") }
        #expect(throws: PostgresStatement.ParseError.self) { try PostgresStatement(parsing: "UPDATE t SET a = $password") }
        #expect(throws: PostgresStatement.ParseError.self) { try PostgresStatement(parsing: "DELETE FROM t") }
    }

    @Test func dsnIsParsed() throws {
        let d = try PostgresDSN(parsing: "postgres://vigil:p%40ss@db.example:6543/jobs?sslmode=require")
        #expect(d == PostgresDSN(host: "db.example", port: 6543, user: "vigil", password: "p@ss", database: "jobs", requireTLS: true))
        let plain = try PostgresDSN(parsing: "postgresql://u@127.0.0.1")
        #expect(plain.port == 5432 && plain.password == nil && plain.database == nil && !plain.requireTLS)
        #expect(throws: PostgresDSN.ParseError.self) { try PostgresDSN(parsing: "mysql://u@h/db") }
        #expect(throws: PostgresDSN.ParseError.self) { try PostgresDSN(parsing: "postgres://h/db") }
        #expect(throws: PostgresDSN.ParseError.self) { try PostgresDSN(parsing: "postgres://u@h/db?sslmode=allow") }
    }

    @Test func loaderReadsAPostgresChannel() throws {
        let c = try NotificationConfigurationTests.parse(#"""
            {"channels":[{"name":"jobs","type":"postgres","dsn":"postgres://vigil:pw@127.0.0.1:5432/jobs","events":["execution.*"],
              "statement":"UPDATE pipeline_task SET status = $status WHERE execution_id = $execution_id","timeout_s":3}]}
            """#)
        let channel = try #require(c.notifications.channels.first)
        guard case .postgres(let dsn, let statement) = channel.kind else {
            Issue.record("not a postgres channel: \(channel.kind)")
            return
        }
        #expect(dsn.database == "jobs" && statement.fields == ["status", "execution_id"])
        #expect(channel.timeout == .seconds(3))
    }

    @Test(arguments: [
        (#"{"name":"j","type":"postgres","events":["*"],"statement":"UPDATE t SET a = $status"}"#, "dsn"),
        (#"{"name":"j","type":"postgres","events":["*"],"dsn":"postgres://u@h/d"}"#, "statement"),
        (#"{"name":"j","type":"postgres","events":["*"],"dsn":"postgres://u@h/d","statement":"UPDATE t SET a = $nope"}"#, "statement"),
        (#"{"name":"j","type":"postgres","events":["*"],"dsn":"postgres://u@h/d","statement":"UPDATE t SET a = $status","format":"slack"}"#, "format"),
        (#"{"name":"j","type":"postgres","events":["*"],"dsn":"postgres://u@h/d","statement":"UPDATE t SET a = $status","argv":["x"]}"#, "url"),
    ])
    func loaderRefusesABadPostgresChannel(channel: String, key: String) {
        do {
            _ = try NotificationConfigurationTests.parse(#"{"channels":[\#(channel)]}"#)
            Issue.record("accepted \(channel)")
        } catch {
            #expect(error.key == "notifications.channels[0].\(key)", "\(error)")
        }
    }
}
