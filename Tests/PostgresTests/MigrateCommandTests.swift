import Foundation
import Postgres
import TestSupport
import XCTest

/// `recame migrate` as operators run it: a separate process against a real database.
final class MigrateCommandTests: XCTestCase {
    private var database: ScratchDatabase!

    override func setUpWithError() throws { database = try ScratchDatabase("pg_cli") }
    override func tearDown() { database?.drop() }

    private func migrate(_ arguments: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run(TestEnvironment.recameBinary.path, ["migrate"] + arguments, timeout: 60)
    }

    func testMigrateTwiceExitsZero() throws {
        let migrations = TestEnvironment.packageRoot.appendingPathComponent("migrations").path
        let first = try migrate(["--database-url", database.url, "--migrations", migrations])
        XCTAssertEqual(first.status, 0, first.standardError)
        XCTAssertTrue(first.standardOutput.contains("applied 0001_init.sql"), first.standardOutput)

        let second = try migrate(["--database-url", database.url, "--migrations", migrations])
        XCTAssertEqual(second.status, 0, second.standardError)
        XCTAssertTrue(second.standardOutput.contains("up to date"), second.standardOutput)
        XCTAssertFalse(second.standardOutput.contains("applied 0001"), second.standardOutput)

        let status = try migrate(["--database-url", database.url, "--migrations", migrations, "--status"])
        XCTAssertEqual(status.status, 0, status.standardError)
        XCTAssertTrue(status.standardOutput.contains("0001_init.sql  applied"), status.standardOutput)
    }

    func testDatabaseURLFromEnvironmentAndDefaultFolder() throws {
        // No flags: DATABASE_URL, and migrations/ found above the executable (the package checkout).
        let result = try ChildProcess.run(
            TestEnvironment.recameBinary.path, ["migrate"], environment: ["DATABASE_URL": database.url], timeout: 60)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertTrue(result.standardOutput.contains("0001_init.sql"), result.standardOutput)
    }

    func testFailuresAndUsage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("cli"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "SELECT 1;".write(to: folder.appendingPathComponent("12_bad.sql"), atomically: true, encoding: .utf8)
        let refused = try migrate(["--database-url", database.url, "--migrations", folder.path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.standardError.contains("12_bad.sql"), refused.standardError)

        let missing = try migrate(["--database-url", database.url, "--migrations", "/nonexistent/migrations"])
        XCTAssertEqual(missing.status, 2)

        let unreachable = try migrate(["--database-url", "postgresql://recame:pw-secret@127.0.0.1:1/x"])
        XCTAssertEqual(unreachable.status, 1)
        XCTAssertFalse(unreachable.standardError.contains("pw-secret"), unreachable.standardError)

        let help = try migrate(["--help"])
        XCTAssertEqual(help.status, 0)
        for flag in ["--database-url", "--migrations", "--status", "--lock-timeout"] {
            XCTAssertTrue(help.standardOutput.contains(flag), "help lacks \(flag)")
        }
    }
}
