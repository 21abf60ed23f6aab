import Foundation
import Imaging
import Pipeline
import Postgres
import TestSupport
import XCTest

/// ARCHITECTURE §5: the JSON message is the contract, not our publisher. A message written with `kcat`
/// — no batch row beforehand, an unknown field, a plain path — is classified like any other, and the
/// stored result is the model's own answer for that image.
final class ForeignProducerTests: XCTestCase {
    func testMessagesPublishedWithKcatAreClassified() throws {
        let kcat = ["/usr/bin/kcat", "/usr/local/bin/kcat"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let kcat else { throw XCTSkip("kcat is not installed") }
        let harness = try PipelineHarness("pipe_kcat")
        defer { harness.shutdown() }
        let first = harness.directory.appendingPathComponent("die 3-4.png")
        let second = harness.directory.appendingPathComponent("die-5-6.jpg")
        try TestImageFiles.writeImage(to: first, seed: 3)
        try Data(
            try ImageEncoder.jpeg(try TestImageFiles.pattern(width: 40, height: 30, channels: 3, seed: 11))
        ).write(to: second)
        let worker = try harness.startWorker("k1", extra: ["--json"])

        // One message a line, "key|value": a file URI (percent-encoded space) with every optional field
        // and an unknown one, then a plain absolute path with only the required fields.
        let lines = [
            "W9|{\"batch_id\":\"kcat-batch\",\"wafer_id\":\"W9\",\"image_id\":\"kcat/1\",\"uri\":\"\(first.absoluteString)\","
                + "\"product\":\"P7\",\"die_x\":3,\"die_y\":4,\"captured_at\":\"2026-12-01T08:00:00Z\",\"tool\":\"AOI-7\"}",
            "W9|{\"batch_id\":\"kcat-batch\",\"wafer_id\":\"W9\",\"image_id\":\"kcat/2\",\"uri\":\"\(second.path)\"}",
        ]
        let input = harness.directory.appendingPathComponent("kcat-input.txt")
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let sent = try ChildProcess.run(
            kcat, ["-P", "-b", harness.bootstrap, "-t", harness.topic, "-K", "|", "-l", input.path], timeout: 30)
        XCTAssertEqual(sent.status, 0, sent.standardError)

        try harness.waitUntil("two predictions", timeout: 60) {
            try harness.integer("SELECT count(*) FROM predictions") == 2
        }
        XCTAssertEqual(try harness.integer("SELECT count(*) FROM dead_letters"), 0)
        let batch = try harness.query("SELECT origin, expected_images FROM batches WHERE batch_id = 'kcat-batch'")
        XCTAssertEqual(try batch.first?.decode("origin", as: String.self), "worker")
        XCTAssertEqual(try batch.first?.decode("expected_images", as: Int32?.self), .some(nil))
        let image = try harness.query(
            """
            SELECT wafer_id, product, die_x, die_y, extra->>'tool' AS tool,
                   extract(epoch FROM captured_at)::float8 AS captured
            FROM images WHERE image_id = 'kcat/1'
            """)[0]
        XCTAssertEqual(try image.decode("wafer_id", as: String.self), "W9")
        XCTAssertEqual(try image.decode("product", as: String?.self), "P7")
        XCTAssertEqual(try image.decode("die_x", as: Int32?.self), 3)
        XCTAssertEqual(try image.decode("die_y", as: Int32?.self), 4)
        XCTAssertEqual(try image.decode("tool", as: String?.self), "AOI-7")
        XCTAssertEqual(try image.decode("captured", as: Double?.self), 1_796_112_000)

        // The rows hold what the active model says about each file.
        let connection = try PostgresConnection(url: harness.databaseURL)
        defer { connection.close() }
        let models = ModelProvider(source: .registry, reviewThreshold: 0.5)
        try models.load(from: connection)
        let model = try XCTUnwrap(models.current)
        for (imageID, file) in [("kcat/1", first), ("kcat/2", second)] {
            var input = [Float](repeating: 0, count: model.preprocessor.elementCount)
            try input.withUnsafeMutableBufferPointer {
                try model.preprocessor.process(try ImageDecoder.decode(contentsOf: file), into: $0)
            }
            let expected = try XCTUnwrap(try model.classify(input, count: 1, threads: 1).first)
            let row = try harness.query(
                """
                SELECT model_version, class_name, class_index, confidence, probabilities, kafka_topic, worker_id
                FROM predictions WHERE image_id = $1
                """, imageID)[0]
            XCTAssertEqual(try row.decode("model_version", as: String.self), model.version)
            XCTAssertEqual(try row.decode("class_index", as: Int32.self), Int32(expected.classIndex), imageID)
            XCTAssertEqual(try row.decode("class_name", as: String.self), model.classNames[expected.classIndex])
            XCTAssertEqual(try row.decode("confidence", as: Float.self), expected.confidence, accuracy: 1e-5)
            let probabilities = try row.decode("probabilities", as: [Float].self)
            XCTAssertEqual(probabilities.count, model.classNames.count)
            for (stored, computed) in zip(probabilities, expected.probabilities) {
                XCTAssertEqual(stored, computed, accuracy: 1e-5, imageID)
            }
            XCTAssertEqual(try row.decode("kafka_topic", as: String?.self), harness.topic)
            XCTAssertEqual(try row.decode("worker_id", as: String?.self), "k1")
        }
        XCTAssertEqual(harness.stopWorkers(), ["k1": 0], harness.workerOutput())

        // --json: one object a line, each with its event name (a field must not overwrite it).
        let events = try worker.standardOutput.split(separator: "\n").map { line in
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
        }
        XCTAssertEqual(events.first?["event"] as? String, "started")
        XCTAssertTrue(
            events.contains {
                $0["event"] as? String == "rebalance" && ($0["change"] as? String)?.hasPrefix("assigned") == true
            },
            "\(events)")
        let batches = events.filter { $0["event"] as? String == "batch" }
        XCTAssertEqual(batches.compactMap { $0["predictions"] as? Int }.reduce(0, +), 2, "\(events)")
        XCTAssertEqual(events.last?["event"] as? String, "stopped")
    }
}
