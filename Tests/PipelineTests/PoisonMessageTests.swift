import Foundation
import Kafka
import Pipeline
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
        let images = try TestImageFiles.writeImages(count: 400, into: harness.directory, prefix: "good")
        let truncated = harness.directory.appendingPathComponent("truncated.jpg")
        try Data(try TestImageFiles.truncatedJPEG()).write(to: truncated)
        let huge = harness.directory.appendingPathComponent("huge.png")
        try Data(RawPNG.header(width: 100_000, height: 100_000)).write(to: huge)
        func message(_ fields: [String: String]) throws -> [UInt8] {
            Array(try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]))
        }
        let poisons = [
            Poison(
                name: "not JSON", value: Array("{this is not JSON".utf8), reason: "not a JSON image message",
                imageID: nil),
            Poison(
                name: "no image_id",
                value: try message(["batch_id": "poison", "wafer_id": "W1", "uri": truncated.path]),
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
            Poison(
                name: "2 MB garbage", value: Self.garbage(bytes: 2 << 20, seed: 1),
                reason: "exceeds the 1048576-byte limit", imageID: nil),
        ]
        let tenMegabytes = Poison(
            name: "10 MB garbage", value: Self.garbage(bytes: 10 << 20, seed: 2),
            reason: "message value of 10485760 bytes exceeds the 1048576-byte limit", imageID: nil)
        for id in ["p1", "p2"] { try harness.startWorker(id) }

        // The embedded broker keeps at most 5 MB per partition: a larger message is readable only as the
        // sole message of its partition (a later one would evict it, and itself with it — a limit of
        // librdkafka's mock cluster, not of Kafka). So the 10 MB message gets the last partition to
        // itself; the others carry the good messages with the poison, the 2 MB one included, in between.
        let producer = try harness.producer()
        let lanes = Int32(harness.partitions - 1)
        try producer.send(
            topic: harness.topic, partition: lanes, key: Array("W-big".utf8), value: tenMegabytes.value, id: 1000)
        let spacing = images.count / poisons.count
        for (index, image) in images.enumerated() {
            let good = ImageMessage(
                batchID: "good", waferID: "W\(index % 20)", imageID: "good/\(index)", uri: image.absoluteString)
            try producer.send(
                topic: harness.topic, partition: Int32(index) % lanes, key: Array(good.waferID.utf8),
                value: good.jsonBytes(), id: UInt64(index))
            if index % spacing == spacing / 2, index / spacing < poisons.count {
                try producer.send(
                    topic: harness.topic, partition: Int32(index / spacing) % lanes, key: Array("W-poison".utf8),
                    value: poisons[index / spacing].value, id: UInt64(2000 + index / spacing))
            }
        }
        XCTAssertEqual(try producer.flush(timeout: 60), images.count + poisons.count + 1)

        let all = poisons + [tenMegabytes]
        try harness.waitUntil("\(images.count) predictions and \(all.count) dead letters", timeout: 90) {
            try harness.integer("SELECT count(*) FROM predictions") == images.count
                && harness.integer("SELECT count(*) FROM dead_letters") == all.count
        }
        let letters = try harness.query("SELECT reason, payload, image_id FROM dead_letters ORDER BY id")
        for poison in all {
            let stored = Array(poison.value.prefix(64 << 10))
            guard let match = try letters.first(where: { try $0.decode("payload", as: [UInt8]?.self) == stored }) else {
                XCTFail("no dead letter for \(poison.name)")
                continue
            }
            let reason = try match.decode("reason", as: String.self)
            XCTAssertTrue(reason.contains(poison.reason), "\(poison.name): reason '\(reason)'")
            XCTAssertEqual(try match.decode("image_id", as: String?.self), poison.imageID, poison.name)
        }
        XCTAssertEqual(
            try harness.integer("SELECT max(octet_length(payload)) FROM dead_letters"), 64 << 10,
            "huge payloads are kept only in part")
        XCTAssertEqual(try harness.integer("SELECT count(*) FROM predictions WHERE image_id LIKE 'poison/%'"), 0)
        XCTAssertEqual(
            try harness.integer("SELECT count(DISTINCT image_id) FROM predictions WHERE batch_id = 'good'"), 400)
        for (id, worker) in harness.workers {
            XCTAssertTrue(worker.process.isRunning, "worker \(id) died:\n\(harness.workerOutput())")
        }
        XCTAssertEqual(harness.stopWorkers(), ["p1": 0, "p2": 0], harness.workerOutput())
        try harness.assertEverythingCommitted()
    }

    /// Pseudo-random bytes, 8 at a time (a per-byte generator is slow in debug builds).
    private static func garbage(bytes: Int, seed: UInt64) -> [UInt8] {
        var state = 0x9E37_79B9_7F4A_7C15 ^ seed
        var result = [UInt8]()
        result.reserveCapacity(bytes)
        for _ in 0..<(bytes / 8) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            withUnsafeBytes(of: state ^ (state >> 29)) { result += $0 }
        }
        return result
    }
}
