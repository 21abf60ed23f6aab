import Foundation
import TestSupport
import XCTest

/// ARCHITECTURE §6: every published image gets exactly one prediction row, even when a worker is
/// killed with SIGKILL in the middle of a batch and its partitions move to the other members.
final class WorkerCrashTests: XCTestCase {
    func testWorkerKilledMidRunLosesAndDuplicatesNothing() throws {
        let total = 5000
        let harness = try PipelineHarness("pipe_crash")
        defer { harness.shutdown() }
        let manifest = try TestImageFiles.writeBatch(count: total, into: harness.directory, prefix: "crash")
        for id in ["w1", "w2", "w3"] { try harness.startWorker(id) }
        try harness.publish(batch: "crash", manifest: manifest)

        let victim = try XCTUnwrap(harness.workers["w2"])
        try harness.waitUntil("the victim to write batches and 1,000 rows in all", timeout: 90) {
            try harness.integer("SELECT count(*) FROM predictions") >= 1000
                && PipelineHarness.batchLines(victim).count >= 2
        }
        victim.signal(SIGKILL)
        victim.wait(timeout: 10)
        let rowsAtKill = try harness.integer("SELECT count(*) FROM predictions")
        XCTAssertLessThan(rowsAtKill, total, "the victim must die mid-run")
        try harness.startWorker("w4")

        try harness.waitUntil("all \(total) rows", timeout: 120) {
            try harness.integer("SELECT count(*) FROM predictions") >= total
        }
        let statuses = harness.stopWorkers()
        XCTAssertEqual(statuses, ["w1": 0, "w3": 0, "w4": 0], harness.workerOutput())

        let counts = try harness.query(
            """
            SELECT count(*) AS rows, count(DISTINCT image_id) AS images,
                   count(*) FILTER (WHERE image_id LIKE 'crash/crash-%') AS ours,
                   count(DISTINCT worker_id) AS writers
            FROM predictions
            """)[0]
        XCTAssertEqual(try counts.decode("rows", as: Int.self), total)
        XCTAssertEqual(try counts.decode("images", as: Int.self), total)
        XCTAssertEqual(try counts.decode("ours", as: Int.self), total)
        XCTAssertGreaterThanOrEqual(try counts.decode("writers", as: Int.self), 3)
        XCTAssertEqual(try harness.integer("SELECT count(*) FROM dead_letters"), 0)
        // Every manifest image, by id: none missing.
        let missing = try harness.integer(
            """
            SELECT count(*) FROM generate_series(0, $1 - 1) AS n
            WHERE NOT EXISTS (SELECT 1 FROM predictions WHERE image_id = 'crash/crash-' || lpad(n::text, 5, '0')
                              || CASE WHEN n % 24 % 2 = 0 THEN '.png' ELSE '.jpg' END)
            """, Int32(total))
        XCTAssertEqual(missing, 0)
        let summary = try harness.query(
            "SELECT expected, processed, dead_lettered FROM batch_summary WHERE batch_id = 'crash'")[0]
        XCTAssertEqual(try summary.decode("expected", as: Int32?.self), Int32(total))
        XCTAssertEqual(try summary.decode("processed", as: Int.self), total)
        XCTAssertEqual(try summary.decode("dead_lettered", as: Int.self), 0)
        XCTAssertGreaterThan(
            try harness.integer("SELECT count(*) FROM predictions WHERE worker_id = 'w4'"), 0,
            "the replacement took over partitions")
        try harness.assertEverythingCommitted()
    }
}
