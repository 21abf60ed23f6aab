import Foundation
import Kafka
import TestSupport
import XCTest

/// ARCHITECTURE §5: anything that is not a classifiable image message goes to `dead_letters` with its
/// reason and its offset is committed, so that a poison message never crashes a worker or stalls its
/// partition.
final class PoisonMessageTests: XCTestCase {
    private struct Poison {
        let name: String
        let value: [UInt8]
        let reason: String
        let imageID: String?
    }

    func testPoisonMessagesAreDeadLetteredWithTheirReasonAndTheRestClassified() throws {
        let harness = try PipelineHarness("pipe_poison")
        defer { harness.shutdown() }
        let before = try TestImageFiles.writeBatch(count: 300, into: harness.directory, prefix: "before")
        let after = try TestImageFiles.writeBatch(count: 200, into: harness.directory, prefix: "after")
        for id in ["p1", "p2"] { try harness.startWorker(id) }
        try harness.publish(batch: "before", manifest: before)

        let truncated = harness.directory.appendingPathComponent("truncated.jpg")
        try Data(try TestImageFiles.truncatedJPEG()).write(to: truncated)
        let huge = harness.directory.appendingPathComponent("huge.png")
        try Data(RawPNG.header(width: 100_000, height: 100_000)).write(to: huge)
        func message(_ fields: [String: String]) throws -> [UInt8] {
            Array(try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]))
        }
        // Pseudo-random bytes, 8 at a time (a per-byte generator is slow in debug builds).
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var garbage = [UInt8]()
        garbage.reserveCapacity(10 << 20)
        for _ in 0..<((10 << 20) / 8) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            withUnsafeBytes(of: state ^ (state >> 29)) { garbage += $0 }
        }
        let poisons = [
            Poison(name: "not JSON", value: Array("{this is not JSON".utf8), reason: "not a JSON image message", imageID: nil),
            Poison(
                name: "no image_id", value: try message(["batch_id": "poison", "wafer_id": "W1", "uri": truncated.path]),
                reason: "missing required field 'image_id'", imageID: nil),
            Poison(
                name: "no batch_id",
                value: try message(["wafer_id": "W1", "image_id": "poison/no-batch", "uri": truncated.path]),
                reason: "missing required field 'batch_id'", imageID: nil),
            Poison(
                name: "missing file",
                value: try message([
                    "batch_id": "poison", "wafer_id": "W1", "image_id": "poison/missing",
                    "uri": harness.directory.appendingPathComponent("no-such-file.png").absoluteString,
                ]), reason: "cannot read image file", imageID: "poison/missing"),
            Poison(
                name: "truncated JPEG",
                value: try message([
                    "batch_id": "poison", "wafer_id": "W2", "image_id": "poison/truncated", "uri": truncated.path,
                ]), reason: "truncated", imageID: "poison/truncated"),
            Poison(
                name: "huge PNG",
                value: try message([
                    "batch_id": "poison", "wafer_id": "W3", "image_id": "poison/huge", "uri": huge.absoluteString,
                ]), reason: "100000 x 100000 pixels exceeds the limit", imageID: "poison/huge"),
            Poison(name: "10 MB garbage", value: garbage, reason: "exceeds the 1048576-byte limit", imageID: nil),
        ]
        let producer = try harness.producer()
        for (index, poison) in poisons.enumerated() {
            try producer.send(
                topic: harness.topic, partition: Int32(index % harness.partitions), key: Array("W\(index)".utf8),
                value: poison.value, id: UInt64(index))
        }
        XCTAssertEqual(try producer.flush(timeout: 30), poisons.count)
        // Published after the poison, on the same partitions: classified only if nothing stalls.
        try harness.publish(batch: "after", manifest: after)

        try harness.waitUntil("500 predictions and \(poisons.count) dead letters", timeout: 90) {
            try harness.integer("SELECT count(*) FROM predictions") == 500
                && harness.integer("SELECT count(*) FROM dead_letters") == poisons.count
        }
        let letters = try harness.query(
            "SELECT reason, payload, image_id, octet_length(payload) AS size FROM dead_letters ORDER BY id")
        for poison in poisons {
            let stored = Array(poison.value.prefix(64 << 10))
            let match = try letters.first { try $0.decode("payload", as: [UInt8]?.self) == stored }
            guard let match else {
                XCTFail("no dead letter for \(poison.name)")
                continue
            }
            let reason = try match.decode("reason", as: String.self)
            XCTAssertTrue(reason.contains(poison.reason), "\(poison.name): reason '\(reason)'")
            XCTAssertEqual(try match.decode("image_id", as: String?.self), poison.imageID, poison.name)
        }
        XCTAssertEqual(
            try harness.integer("SELECT max(octet_length(payload)) FROM dead_letters"), 64 << 10,
            "the 10 MB payload is kept only in part")
        XCTAssertEqual(try harness.integer("SELECT count(*) FROM predictions WHERE image_id LIKE 'poison/%'"), 0)
        for batch in ["before", "after"] {
            let summary = try harness.query(
                "SELECT expected, processed, dead_lettered FROM batch_summary WHERE batch_id = $1", batch)[0]
            XCTAssertEqual(try summary.decode("processed", as: Int.self), Int(try summary.decode("expected", as: Int32.self)))
            XCTAssertEqual(try summary.decode("dead_lettered", as: Int.self), 0)
        }
        for (id, worker) in harness.workers {
            XCTAssertTrue(worker.process.isRunning, "worker \(id) died:\n\(harness.workerOutput())")
        }
        XCTAssertEqual(harness.stopWorkers(), ["p1": 0, "p2": 0], harness.workerOutput())
        try harness.assertEverythingCommitted()
    }
}
