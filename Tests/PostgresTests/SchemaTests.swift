import Foundation
import Postgres
import TestSupport
import XCTest

/// The behaviour that later parts of the product rely on from migrations/0001_init.sql.
final class SchemaTests: XCTestCase {
    private static var database: ScratchDatabase!
    private var connection: PostgresConnection!

    override class func setUp() {
        super.setUp()
        database = try! ScratchDatabase("pg_schema")
        let connection = try! database.connect()
        try! Migrator(directory: TestEnvironment.packageRoot.appendingPathComponent("migrations")).migrate(connection)
        connection.close()
    }

    override class func tearDown() {
        database.drop()
        super.tearDown()
    }

    override func setUpWithError() throws {
        connection = try Self.database.connect()
        try connection.execute(
            """
            TRUNCATE labels, predictions, images, batches, dead_letters, training_runs, model_versions, classes,
                worker_heartbeats
            """)
    }

    override func tearDown() {
        connection.close()
    }

    private func register(_ version: String, status: String = "candidate") throws {
        try connection.execute(
            "INSERT INTO model_versions (version, kind, sha256, artifact, class_names, status) VALUES ($1, 'ensemble', $2, $3, $4, $5)",
            version, SHA256.hexDigest(Array(version.utf8)), Array(version.utf8), ["scratch", "particle", "bridge"],
            status)
    }

    /// What a worker does for one message: upsert batch and image, insert the prediction; a replay of the
    /// same message writes nothing twice.
    private func writePrediction(image: String, batch: String, version: String, className: String) throws -> Int {
        try connection.transaction { connection in
            try connection.execute(
                "INSERT INTO batches (batch_id, origin) VALUES ($1, 'worker') ON CONFLICT (batch_id) DO NOTHING", batch)
            try connection.execute(
                "INSERT INTO images (image_id, batch_id, wafer_id, uri, extra) VALUES ($1, $2, 'W1', $3, $4) ON CONFLICT (image_id) DO NOTHING",
                image, batch, "file:///images/\(image).png", PostgresValue.json(#"{"lot": "L7"}"#))
            return try connection.insert(
                into: "predictions",
                columns: [
                    "image_id", "batch_id", "model_version", "class_name", "class_index", "confidence", "probabilities",
                    "needs_review",
                ],
                rows: [
                    [image, batch, version, className, 0, Float(0.8), [Float(0.8), 0.15, 0.05], className == "bridge"]
                ],
                suffix: "ON CONFLICT (image_id, model_version) DO NOTHING")
        }
    }

    func testPredictionsAreIdempotentAndSummarised() throws {
        try register("v1", status: "active")
        XCTAssertEqual(
            try connection.value("SELECT count(*) FROM classes", as: Int.self), 3, "registration adds classes")
        try connection.execute("UPDATE classes SET is_tail = true WHERE class_name = 'bridge'")
        try connection.execute("INSERT INTO batches (batch_id, expected_images) VALUES ('B1', 4)")
        XCTAssertEqual(try writePrediction(image: "i1", batch: "B1", version: "v1", className: "scratch"), 1)
        XCTAssertEqual(try writePrediction(image: "i1", batch: "B1", version: "v1", className: "scratch"), 0)
        XCTAssertEqual(try writePrediction(image: "i2", batch: "B1", version: "v1", className: "bridge"), 1)
        XCTAssertEqual(try writePrediction(image: "k1", batch: "from-kcat", version: "v1", className: "particle"), 1)
        try connection.execute(
            "INSERT INTO dead_letters (topic, kafka_partition, kafka_offset, payload, reason, batch_id) VALUES ('t', 0, 9, $1, 'not JSON', 'B1') ON CONFLICT DO NOTHING",
            [UInt8]([0xff, 0x00]))

        let summary = try XCTUnwrap(try connection.query("SELECT * FROM batch_summary WHERE batch_id = 'B1'").first)
        XCTAssertEqual(try summary.decode("expected", as: Int?.self), 4)
        XCTAssertEqual(try summary.decode("processed", as: Int.self), 2)
        XCTAssertEqual(try summary.decode("dead_lettered", as: Int.self), 1)
        XCTAssertEqual(try summary.decode("needs_review", as: Int.self), 1)
        XCTAssertEqual(try summary.decode("tail", as: Int.self), 1)
        XCTAssertEqual(try summary.decode("class_counts", as: String.self), #"{"bridge": 1, "scratch": 1}"#)
        XCTAssertNotNil(try summary.decode("first_at", as: Date?.self))
        let autoBatch = try XCTUnwrap(try connection.query("SELECT * FROM batches WHERE batch_id = 'from-kcat'").first)
        XCTAssertNil(try autoBatch.decode("expected_images", as: Int?.self))
        XCTAssertEqual(try autoBatch.decode("origin", as: String.self), "worker")
    }

    func testChecksRejectBadRows() throws {
        try register("v1")
        try connection.execute("INSERT INTO batches (batch_id) VALUES ('B')")
        try connection.execute("INSERT INTO images (image_id, batch_id, wafer_id, uri) VALUES ('i', 'B', 'W', 'u')")
        let insert =
            "INSERT INTO predictions (image_id, batch_id, model_version, class_name, class_index, confidence, probabilities) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        let cases: [(String, [any PostgresEncodable], String)] = [
            ("confidence above 1", ["i", "B", "v1", "scratch", 0, Float(1.5), [Float(1)]], "23514"),
            ("unknown class", ["i", "B", "v1", "nope", 0, Float(0.5), [Float(1)]], "23503"),
            ("unknown model", ["i", "B", "v9", "scratch", 0, Float(0.5), [Float(1)]], "23503"),
            ("unknown image", ["x", "B", "v1", "scratch", 0, Float(0.5), [Float(1)]], "23503"),
            ("index beyond probabilities", ["i", "B", "v1", "scratch", 3, Float(0.5), [Float(1)]], "23514"),
        ]
        for (name, parameters, sqlState) in cases {
            XCTAssertThrowsError(try connection.execute(insert, parameters: parameters), name) { error in
                XCTAssertEqual((error as? PostgresError)?.sqlState, sqlState, "\(name): \(error)")
            }
        }
        XCTAssertThrowsError(try connection.execute("UPDATE model_versions SET status = 'bogus'"))
        XCTAssertThrowsError(
            try connection.execute(
                "INSERT INTO training_runs (trigger, status, finished_at) VALUES ('manual', 'failed', now())"))
    }

    /// Promotion: one active model at a time, activated_at stamped, and NOTIFY recame_model at commit.
    func testActivationIsExclusiveAndNotifiesWorkers() throws {
        let listener = try Self.database.connect()
        defer { listener.close() }
        try listener.listen("recame_model")
        try register("v1", status: "active")
        XCTAssertEqual(try listener.waitForNotification(timeout: 5)?.payload, "v1")
        try register("v2")
        XCTAssertThrowsError(try connection.execute("UPDATE model_versions SET status = 'active' WHERE version = 'v2'"))
        {
            XCTAssertEqual(($0 as? PostgresError)?.sqlState, "23505")
        }
        try connection.transaction { connection in
            try connection.execute("UPDATE model_versions SET status = 'retired' WHERE status = 'active'")
            try connection.execute("UPDATE model_versions SET status = 'active' WHERE version = 'v2'")
        }
        XCTAssertEqual(try listener.waitForNotification(timeout: 5)?.payload, "v2")
        XCTAssertNotNil(
            try connection.value("SELECT activated_at FROM model_versions WHERE version = 'v2'", as: Date?.self))
    }

    func testLabelHoldoutIsStable() throws {
        try register("v1")
        try connection.execute("INSERT INTO batches (batch_id) VALUES ('B')")
        try connection.execute(
            "INSERT INTO images (image_id, batch_id, wafer_id, uri) SELECT 'img' || g, 'B', 'W', 'u' FROM generate_series(1, 500) g"
        )
        try connection.execute(
            "INSERT INTO labels (image_id, class_name, confirmed_by) SELECT 'img' || g, 'scratch', 'ana' FROM generate_series(1, 500) g"
        )
        let held = try connection.value("SELECT count(*) FROM labels WHERE holdout", as: Int.self)
        XCTAssertTrue((60...140).contains(held), "about one in five held out, got \(held)")
        // A correction keeps the flag; flipping it is refused.
        try connection.execute("UPDATE labels SET class_name = 'bridge', confirmed_at = now() WHERE image_id = 'img1'")
        XCTAssertThrowsError(try connection.execute("UPDATE labels SET holdout = NOT holdout WHERE image_id = 'img1'"))
        {
            XCTAssertEqual(($0 as? PostgresError)?.sqlState, "23514")
        }
    }
}
