import Foundation
import Kafka
import Pipeline
import TestSupport
import XCTest

/// ARCHITECTURE §6: while PostgreSQL is down the workers hold their batch, retry with backoff and commit
/// nothing; when it is back they resume by themselves, and nothing is lost or written twice. The
/// server here is a private one, because stopping the shared test server would break other tests.
final class DatabaseOutageTests: XCTestCase {
    func testWorkersWaitOutATenSecondOutageAndLoseNothing() throws {
        let cluster = try TemporaryPostgresCluster()
        defer { cluster.destroy() }
        let harness = try PipelineHarness("pipe_outage", serverURL: cluster.url)
        defer { harness.shutdown() }
        let before = try TestImageFiles.writeBatch(count: 400, into: harness.directory, prefix: "before")
        for id in ["o1", "o2"] { try harness.startWorker(id) }
        try harness.publish(batch: "before", manifest: before)
        try harness.waitUntil("the first 400 rows", timeout: 60) {
            try harness.integer("SELECT count(*) FROM predictions") == 400
        }

        try cluster.stop()
        let stoppedAt = Date()
        // `recame publish` records the batch in PostgreSQL, so during the outage another producer
        // publishes: the workers consume these messages and cannot write them.
        let image = harness.directory.appendingPathComponent("during.png")
        try TestImageFiles.writeImage(to: image)
        let during = 600
        let producer = try harness.producer()
        for index in 0..<during {
            let message = ImageMessage(
                batchID: "during", waferID: "W\(index % 16)", imageID: "during/\(index)", uri: image.absoluteString)
            try producer.send(
                topic: harness.topic, key: Array(message.waferID.utf8), value: message.jsonBytes(), id: UInt64(index))
        }
        XCTAssertEqual(try producer.flush(timeout: 30), during)
        try harness.waitUntil("a worker to report the database unavailable", timeout: 10) {
            harness.workers.values.contains { $0.standardOutput.contains("status=unavailable") }
        }
        Thread.sleep(forTimeInterval: max(0, 10 - Date().timeIntervalSince(stoppedAt)))
        for (id, worker) in harness.workers {
            XCTAssertTrue(
                worker.process.isRunning, "worker \(id) gave up during the outage:\n\(harness.workerOutput())")
        }
        try cluster.start()

        try harness.waitUntil("all 1000 rows after the restart", timeout: 60) {
            try harness.integer("SELECT count(*) FROM predictions") >= 400 + during
        }
        XCTAssertTrue(
            harness.workers.values.contains { $0.standardOutput.contains("status=recovered") }, harness.workerOutput())
        XCTAssertEqual(harness.stopWorkers(), ["o1": 0, "o2": 0], harness.workerOutput())
        XCTAssertEqual(try harness.integer("SELECT count(*) FROM predictions"), 400 + during)
        XCTAssertEqual(try harness.integer("SELECT count(DISTINCT image_id) FROM predictions"), 400 + during)
        XCTAssertEqual(
            try harness.integer("SELECT count(DISTINCT image_id) FROM predictions WHERE batch_id = 'during'"), during)
        XCTAssertEqual(try harness.integer("SELECT count(*) FROM dead_letters"), 0)
        XCTAssertEqual(
            try harness.integer("SELECT count(*) FROM batches WHERE batch_id = 'during' AND origin = 'worker'"), 1)
        try harness.assertEverythingCommitted()
    }
}
