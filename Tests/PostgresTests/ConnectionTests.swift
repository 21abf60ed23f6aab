import Foundation
import Postgres
import TestSupport
import XCTest

final class ConnectionTests: XCTestCase {
    func testSessionSettings() throws {
        let connection = try PostgresConnection(url: TestEnvironment.databaseURL)
        defer { connection.close() }
        XCTAssertEqual(try connection.value("SHOW TimeZone", as: String.self), "UTC")
        XCTAssertTrue(try connection.value("SHOW DateStyle", as: String.self).hasPrefix("ISO"))
        XCTAssertEqual(try connection.value("SHOW client_encoding", as: String.self), "UTF8")
        XCTAssertGreaterThanOrEqual(connection.serverVersion, 120_000)
        XCTAssertTrue(connection.isConnected)
        XCTAssertFalse(connection.target.isEmpty)
    }

    func testUnreachableServerIsAConnectionFailureWithoutThePassword() {
        XCTAssertThrowsError(
            try PostgresConnection(url: "postgresql://recame:s3cr%65t-pw@127.0.0.1:1/nowhere", connectTimeout: 2)
        ) { error in
            guard let error = error as? PostgresError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.kind, .connection)
            XCTAssertTrue(error.isConnectionFailure)
            XCTAssertTrue(error.message.contains("127.0.0.1"), error.message)
            XCTAssertFalse(error.description.contains("s3cr"), error.description)
        }
        // libpq echoes malformed connection strings; the password still must not appear.
        XCTAssertThrowsError(try PostgresConnection(url: "host=127.0.0.1 password=hunter2 port")) { error in
            XCTAssertFalse(String(describing: error).contains("hunter2"), String(describing: error))
        }
        XCTAssertEqual(
            ConnectionString.redacted("postgresql://u:pw@h:5432/db?sslmode=disable"),
            "postgresql://u:***@h:5432/db?sslmode=disable")
    }

    /// The server ends the session (as on a restart): the next statement reports a connection failure,
    /// and `reset()` brings the session back, LISTENs included.
    func testTerminatedSessionIsDetectedAndReset() throws {
        let connection = try PostgresConnection(url: TestEnvironment.databaseURL)
        let admin = try PostgresConnection(url: TestEnvironment.databaseURL)
        defer {
            connection.close()
            admin.close()
        }
        try connection.listen("recame_reset_test")
        let oldPID = connection.backendProcessID
        XCTAssertTrue(try admin.value("SELECT pg_terminate_backend($1)", oldPID, as: Bool.self))
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertThrowsError(try connection.execute("SELECT 1")) { error in
            XCTAssertTrue((error as? PostgresError)?.isConnectionFailure ?? false, "\(error)")
        }
        try connection.reset()
        XCTAssertNotEqual(connection.backendProcessID, oldPID)
        XCTAssertEqual(try connection.value("SELECT 1 + 1", as: Int.self), 2)
        XCTAssertEqual(try connection.value("SHOW TimeZone", as: String.self), "UTC")
        try admin.notify("recame_reset_test", payload: "after reset")
        XCTAssertEqual(try connection.waitForNotification(timeout: 5)?.payload, "after reset")
    }

    func testClosedConnectionThrows() throws {
        let connection = try PostgresConnection(url: TestEnvironment.databaseURL)
        connection.close()
        XCTAssertFalse(connection.isConnected)
        XCTAssertThrowsError(try connection.execute("SELECT 1")) { error in
            XCTAssertTrue((error as? PostgresError)?.isConnectionFailure ?? false)
        }
    }

    func testServerErrorFieldsAndUsableAfterwards() throws {
        let connection = try PostgresConnection(url: TestEnvironment.databaseURL)
        defer { connection.close() }
        XCTAssertThrowsError(try connection.query("SELECT 1 / $1::int", 0)) { error in
            guard let error = error as? PostgresError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.sqlState, "22012")
            XCTAssertEqual(error.message, "division by zero")
        }
        XCTAssertThrowsError(try connection.query("SELECT * FROM no_such_table")) { error in
            guard let error = error as? PostgresError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.sqlState, "42P01")
            XCTAssertEqual(error.position, 15)
        }
        // COPY through the wrong door is refused and the session stays usable.
        XCTAssertThrowsError(try connection.execute("COPY (SELECT 1) TO STDOUT"))
        XCTAssertEqual(try connection.value("SELECT 'still fine'", as: String.self), "still fine")
    }
}
