import Foundation
import Postgres
import XCTest

final class TransactionTests: XCTestCase {
    private static var database: ScratchDatabase!
    private var connection: PostgresConnection!

    override class func setUp() {
        super.setUp()
        database = try! ScratchDatabase("pg_tx")
        let connection = try! database.connect()
        try! connection.execute("CREATE TABLE items (id int PRIMARY KEY, note text)")
        connection.close()
    }

    override class func tearDown() {
        database.drop()
        super.tearDown()
    }

    override func setUpWithError() throws {
        connection = try Self.database.connect()
        try connection.execute("TRUNCATE items")
    }

    override func tearDown() {
        connection.close()
    }

    private func count() throws -> Int { try connection.value("SELECT count(*) FROM items", as: Int.self) }

    func testFailingStatementRollsBackTheWholeTransaction() throws {
        XCTAssertThrowsError(
            try connection.transaction { connection in
                try connection.execute("INSERT INTO items (id) VALUES ($1)", 1)
                try connection.execute("INSERT INTO items (id) VALUES ($1)", 1)
            }
        ) { error in
            guard let error = error as? PostgresError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.sqlState, "23505")
            XCTAssertTrue(error.isUniqueViolation)
            XCTAssertFalse(error.isConnectionFailure)
            XCTAssertEqual(error.kind, .server)
            XCTAssertEqual(error.severity, "ERROR")
            XCTAssertEqual(error.constraint, "items_pkey")
            XCTAssertEqual(error.statement, "INSERT INTO items (id) VALUES ($1)")
            XCTAssertNotNil(error.detail)
            XCTAssertTrue(error.description.contains("23505"), error.description)
        }
        XCTAssertEqual(try count(), 0, "the first insert must be rolled back too")
        XCTAssertFalse(connection.inTransaction)
    }

    func testSwiftErrorRollsBackAndIsRethrown() throws {
        struct Abort: Error {}
        XCTAssertThrowsError(
            try connection.transaction { connection in
                try connection.execute("INSERT INTO items (id) VALUES ($1)", 1)
                throw Abort()
            }
        ) { XCTAssertTrue($0 is Abort) }
        XCTAssertEqual(try count(), 0)
    }

    func testCommitIsVisibleToOtherSessions() throws {
        let value = try connection.transaction(isolation: .serializable) { connection -> Int in
            try connection.execute("INSERT INTO items (id, note) VALUES ($1, $2)", 7, "seven")
            return 7
        }
        XCTAssertEqual(value, 7)
        let other = try Self.database.connect()
        defer { other.close() }
        XCTAssertEqual(try other.value("SELECT note FROM items WHERE id = 7", as: String.self), "seven")
    }

    func testNestedTransactionRollsBackAlone() throws {
        try connection.transaction { connection in
            try connection.execute("INSERT INTO items (id) VALUES (1)")
            XCTAssertThrowsError(
                try connection.transaction { inner in
                    try inner.execute("INSERT INTO items (id) VALUES (2)")
                    try inner.execute("INSERT INTO items (id) VALUES (1)")
                })
            try connection.execute("INSERT INTO items (id) VALUES (3)")
        }
        XCTAssertEqual(
            try connection.query("SELECT id FROM items ORDER BY id").map { try $0.decode("id", as: Int.self) }, [1, 3])
    }

    /// An error swallowed inside the block leaves the transaction aborted; PostgreSQL then answers COMMIT
    /// with ROLLBACK. That must surface as an error, not as a silent success.
    func testSwallowedErrorMakesCommitFail() throws {
        XCTAssertThrowsError(
            try connection.transaction { connection in
                try connection.execute("INSERT INTO items (id) VALUES (1)")
                _ = try? connection.execute("INSERT INTO items (id) VALUES (1)")
            }
        ) { error in
            XCTAssertEqual((error as? PostgresError)?.sqlState, "25P02")
        }
        XCTAssertEqual(try count(), 0)
    }

    func testScriptErrorNamesTheLine() throws {
        XCTAssertThrowsError(
            try connection.runScript(
                """
                CREATE TABLE script_a (x int);
                INSERT INTO script_a VALUES (1);
                SELEC 1;
                """)
        ) { error in
            guard let error = error as? PostgresError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.sqlState, "42601")
            XCTAssertEqual(error.statement, "line 3: SELEC 1;")
        }
        // A simple-query script is one implicit transaction: nothing of it stayed.
        XCTAssertFalse(try connection.value("SELECT to_regclass('script_a') IS NOT NULL", as: Bool.self))
    }
}
