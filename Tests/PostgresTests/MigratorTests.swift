import Foundation
import Postgres
import TestSupport
import XCTest

final class MigratorTests: XCTestCase {
    private var database: ScratchDatabase!
    private var connection: PostgresConnection!
    private var folder: URL!

    /// Each test gets an empty database and a private folder holding migrations/0001_init.sql that it may edit.
    override func setUpWithError() throws {
        database = try ScratchDatabase("pg_migrate")
        connection = try database.connect()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("migrations"))
        // Only the first file: the tests add their own 0002…, whatever later migrations the product has.
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: TestEnvironment.packageRoot.appendingPathComponent("migrations/0001_init.sql"),
            to: folder.appendingPathComponent("0001_init.sql"))
    }

    override func tearDown() {
        connection?.close()
        database?.drop()
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    private func write(_ name: String, _ sql: String) throws {
        try sql.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    private func assertRefused(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Migrator(directory: folder).migrate(connection), file: file, line: line) { error in
            let text = String(describing: error)
            for fragment in fragments {
                XCTAssertTrue(text.contains(fragment), "'\(fragment)' not in: \(text)", file: file, line: line)
            }
        }
    }

    func testAppliesOnEmptyDatabaseThenIsANoOp() throws {
        var lines: [String] = []
        let applied = try Migrator(directory: folder).migrate(connection) { lines.append($0) }
        XCTAssertEqual(applied.map(\.fileName), ["0001_init.sql"])
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].hasPrefix("applied 0001_init.sql"), lines[0])

        // The recorded checksum is the file's SHA-256.
        let file = try Data(contentsOf: folder.appendingPathComponent("0001_init.sql"))
        let row = try XCTUnwrap(try connection.query("SELECT * FROM schema_migrations").first)
        XCTAssertEqual(try row.decode("version", as: Int.self), 1)
        XCTAssertEqual(try row.decode("name", as: String.self), "init")
        XCTAssertEqual(try row.decode("checksum", as: String.self), SHA256.hexDigest(file))
        XCTAssertLessThan(abs(try row.decode("applied_at", as: Date.self).timeIntervalSinceNow), 60)

        // Every table and view of the SQL contract exists.
        let relations = Set(
            try connection.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).map { try $0.decode("table_name", as: String.self) })
        for name in [
            "batches", "images", "classes", "predictions", "labels", "model_versions", "training_runs",
            "dead_letters", "worker_heartbeats", "schema_migrations", "batch_summary", "latest_predictions",
        ] {
            XCTAssertTrue(relations.contains(name), "missing \(name)")
        }

        XCTAssertEqual(try Migrator(directory: folder).migrate(connection), [])
        XCTAssertEqual(try connection.value("SELECT count(*) FROM schema_migrations", as: Int.self), 1)
        let status = try Migrator(directory: folder).status(connection)
        XCTAssertEqual(status.map { $0.appliedAt != nil }, [true])
    }

    func testRefusesAChangedFile() throws {
        try Migrator(directory: folder).migrate(connection)
        let url = folder.appendingPathComponent("0001_init.sql")
        let original = try String(contentsOf: url, encoding: .utf8)
        try (original + "\n-- an innocent-looking edit\n").write(to: url, atomically: true, encoding: .utf8)
        assertRefused(["0001_init.sql", "changed after it was applied"])
        XCTAssertThrowsError(try Migrator(directory: folder).status(connection))
    }

    func testAppliesNewFilesInOrderAndRefusesMissingOnes() throws {
        try write("0003_third.sql", "CREATE TABLE third (x int);")
        try write("0002_second.sql", "CREATE TABLE second (x int);\nINSERT INTO second VALUES (2);")
        try write("README.md", "not a migration")
        let applied = try Migrator(directory: folder).migrate(connection)
        XCTAssertEqual(applied.map(\.version), [1, 2, 3])
        try FileManager.default.removeItem(at: folder.appendingPathComponent("0002_second.sql"))
        assertRefused(["0002_second.sql", "missing"])
    }

    func testRefusesAFileNumberedBelowAnAppliedOne() throws {
        try write("0005_later.sql", "SELECT 1;")
        try Migrator(directory: folder).migrate(connection)
        try write("0004_sneaky.sql", "SELECT 1;")
        assertRefused(["0004_sneaky.sql", "below"])
    }

    func testFailingMigrationLeavesNothing() throws {
        try write(
            "0002_broken.sql", "CREATE TABLE half_done (x int);\nINSERT INTO half_done VALUES (1);\nSELECT 1/0;\n")
        assertRefused(["0002_broken.sql", "division by zero"])
        XCTAssertFalse(try connection.value("SELECT to_regclass('half_done') IS NOT NULL", as: Bool.self))
        // 0001 went in before 0002 failed: each file is its own transaction.
        XCTAssertEqual(
            try connection.query("SELECT version FROM schema_migrations").map {
                try $0.decode("version", as: Int.self)
            },
            [1])
    }

    func testSyntaxErrorNamesFileAndLine() throws {
        try write("0002_typo.sql", "CREATE TABLE fine (x int);\n\nCREAT TABLE oops (x int);\n")
        assertRefused(["0002_typo.sql", "42601", "line 3: CREAT TABLE oops"])
    }

    func testRefusesMalformedAndDuplicateNames() throws {
        for bad in ["1_short.sql", "0002-dash.sql", "0002_.sql", "0000_zero.sql", "0002_spa ce.sql"] {
            try write(bad, "SELECT 1;")
            assertRefused([bad, "NNNN_name.sql"])
            try FileManager.default.removeItem(at: folder.appendingPathComponent(bad))
        }
        try write("0001_again.sql", "SELECT 1;")
        assertRefused(["0001", "both have version 1"])
        try FileManager.default.removeItem(at: folder.appendingPathComponent("0001_again.sql"))
        try write("0002_init.sql", "SELECT 1;")
        assertRefused(["0002_init.sql", "same name"])
        try FileManager.default.removeItem(at: folder.appendingPathComponent("0002_init.sql"))
        try write("0002_empty.sql", "  \n")
        assertRefused(["0002_empty.sql", "empty"])
        // Nothing was applied while the folder was invalid.
        XCTAssertFalse(try connection.value("SELECT to_regclass('batches') IS NOT NULL", as: Bool.self))
    }

    /// Several migrators started together take turns: exactly one applies, the others find nothing to do.
    func testConcurrentMigratorsDoNotCollide() throws {
        let url = database.url
        let folder = self.folder!
        let results = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let connection = try PostgresConnection(url: url)
                defer { connection.close() }
                results.append(.success(try Migrator(directory: folder).migrate(connection).count))
            } catch {
                results.append(.failure(error))
            }
        }
        let counts = try results.values.map { try $0.get() }
        XCTAssertEqual(counts.sorted(), [0, 0, 0, 1])
        XCTAssertEqual(try connection.value("SELECT count(*) FROM schema_migrations", as: Int.self), 1)
    }
}

private final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<Int, Error>] = []
    func append(_ result: Result<Int, Error>) { lock.withLock { stored.append(result) } }
    var values: [Result<Int, Error>] { lock.withLock { stored } }
}
