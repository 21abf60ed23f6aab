import Foundation
import TestSupport
import XCTest

/// ARCHITECTURE §6: SIGTERM finishes the batch in hand, writes it, commits its offsets, leaves the
/// group and exits 0 — a deployment that stops workers loses nothing and leaves nothing to replay.
final class GracefulShutdownTests: XCTestCase {
    func testSigtermDuringABatchWritesItCommitsItAndExitsZero() throws {
        let count = 300
        let harness = try PipelineHarness("pipe_sigterm")
        defer { harness.shutdown() }
        // Large images, one batch for all of them: decoding and resizing keep the batch busy for a while.
        let manifest = try TestImageFiles.writeBatch(count: count, into: harness.directory, prefix: "term", side: 320)
        try harness.publish(batch: "term", manifest: manifest)
        let worker = try harness.startWorker(
            "t1", batchSize: count, extra: ["--max-wait", "20", "--decode-threads", "1"])
        // The assignment is served inside the first poll, which then collects the whole batch.
        try worker.waitForLine(timeout: 30) { $0.contains("rebalance change=assigned") }
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(try harness.integer("SELECT count(*) FROM predictions"), 0, "signal before the batch is written")
        worker.signal(SIGTERM)
        let signalled = Date()
        XCTAssertEqual(worker.wait(timeout: 60), 0, harness.workerOutput())
        let exitSeconds = Date().timeIntervalSince(signalled)

        let batches = PipelineHarness.batchLines(worker)
        XCTAssertEqual(batches.count, 1, harness.workerOutput())
        XCTAssertTrue(batches.first?.contains("batch \(count) messages: \(count) predictions") == true, "\(batches)")
        XCTAssertTrue(worker.standardOutput.contains("stopped processed=\(count)"), worker.standardOutput)
        XCTAssertEqual(try harness.integer("SELECT count(*) FROM predictions"), count)
        XCTAssertEqual(
            try harness.integer("SELECT count(DISTINCT image_id) FROM predictions WHERE worker_id = 't1'"), count)
        let heartbeat = try harness.query("SELECT stopped_at IS NOT NULL AS stopped, processed FROM worker_heartbeats")
        XCTAssertEqual(try heartbeat.first?.decode("stopped", as: Bool.self), true)
        XCTAssertEqual(try heartbeat.first?.decode("processed", as: Int.self), count)
        try harness.assertEverythingCommitted()
        print("SIGTERM to exit: \(String(format: "%.2f", exitSeconds)) s")
    }
}
