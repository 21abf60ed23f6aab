import Foundation
import Postgres
import TestSupport
import XCTest

/// Migration 0002: a login role in `recame_worker` can do exactly what a worker does, and nothing that
/// would let it change results, models or labels.
final class WorkerRoleTests: XCTestCase {
    func testWorkerRoleWritesResultsAndNothingElse() throws {
        let database = try ScratchDatabase("pg_role")
        defer { database.drop() }
        let admin = try database.connect()
        defer { admin.close() }
        try Migrator(directory: TestEnvironment.packageRoot.appendingPathComponent("migrations")).migrate(admin)
        let login = "worker_\(database.name.suffix(12))".lowercased()
        try admin.execute("CREATE ROLE \(try PostgresIdentifier.quote(login)) LOGIN IN ROLE recame_worker")
        defer { _ = try? admin.execute("DROP OWNED BY \(login); DROP ROLE IF EXISTS \(login)") }
        try admin.execute(
            """
            INSERT INTO model_versions (version, kind, sha256, artifact, class_names, status)
            VALUES ('m1', 'ensemble', $1, $2, $3, 'active')
            """, String(repeating: "a", count: 64), [UInt8](repeating: 1, count: 4), ["ok", "scratch"])

        var components = try XCTUnwrap(URLComponents(string: database.url))
        components.user = login
        let worker = try PostgresConnection(url: try XCTUnwrap(components.string))
        defer { worker.close() }
        // What a worker does, in its transaction.
        try worker.transaction { connection in
            try connection.execute(
                "SELECT record_images($1)",
                PostgresValue.json(
                    #"[{"image_id":"i1","batch_id":"b1","wafer_id":"w","uri":"/x.png","die_x":3,"extra":{"lot":"L1"}}]"#
                ))
            try connection.execute(
                """
                INSERT INTO predictions (image_id, batch_id, model_version, class_name, class_index, confidence,
                                         probabilities)
                VALUES ('i1', 'b1', 'm1', 'scratch', 1, 0.9, '{0.1,0.9}') ON CONFLICT DO NOTHING
                """)
            try connection.execute(
                "INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, reason) VALUES ('t', 0, 5, 'bad')")
            try connection.execute(
                """
                INSERT INTO worker_heartbeats (worker_id, hostname, pid, started_at) VALUES ('w1', 'h', 1, now())
                ON CONFLICT (worker_id) DO UPDATE SET last_seen_at = now()
                """)
        }
        XCTAssertEqual(try worker.value("SELECT count(*) FROM model_versions", as: Int.self), 1)
        XCTAssertEqual(try admin.value("SELECT die_x FROM images WHERE image_id = 'i1'", as: Int32?.self), 3)
        XCTAssertEqual(try admin.value("SELECT origin FROM batches WHERE batch_id = 'b1'", as: String.self), "worker")

        let forbidden = [
            "UPDATE predictions SET class_name = 'ok'", "DELETE FROM predictions", "DELETE FROM dead_letters",
            "UPDATE model_versions SET status = 'retired'", "SELECT * FROM labels",
            "INSERT INTO images (image_id, batch_id, wafer_id, uri) VALUES ('i2', 'b1', 'w', '/y')",
            "INSERT INTO labels (image_id, class_name, confirmed_by) VALUES ('i1', 'ok', 'me')",
            "SELECT artifact FROM model_versions FOR UPDATE", "TRUNCATE predictions",
        ]
        for statement in forbidden {
            XCTAssertThrowsError(try worker.execute(statement), statement) { error in
                XCTAssertEqual((error as? PostgresError)?.sqlState, "42501", "\(statement): \(error)")
            }
        }
    }
}
