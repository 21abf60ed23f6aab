import Foundation
import Postgres
import ReCAME
import TestSupport
import XCTest

/// ARCHITECTURE §7: a promotion reaches running workers (NOTIFY recame_model), which swap between
/// batches and name the new version in their rows; a corrupt artifact is refused and the worker keeps
/// classifying with the model it has.
final class ModelSwapTests: XCTestCase {
    func testWorkersSwapToAPromotedModelAndRefuseACorruptOne() throws {
        let harness = try PipelineHarness("pipe_swap", partitions: 2)
        defer { harness.shutdown() }
        let first = try harness.query("SELECT version FROM model_versions WHERE status = 'active'")[0].decode(
            "version", as: String.self)

        // A second model: the fixture with one classifier bias changed (another sha256, same classes).
        var checkpoint = try Checkpoint.load(contentsOf: PipelineHarness.modelFile)
        checkpoint.tensors["experts.0.classifier.bias"]!.values[0] += 0.5
        let secondFile = harness.directory.appendingPathComponent("second.safetensors")
        try checkpoint.save(to: secondFile)
        let registered = try harness.expectSuccess([
            "model", "register", "--file", secondFile.path, "--version", "second", "--database-url",
            harness.databaseURL,
        ])
        XCTAssertTrue(registered.standardOutput.contains("registered second (candidate)"), registered.standardOutput)

        let worker = try harness.startWorker("s1", batchSize: 8)
        try publish(harness, batch: "before", count: 8)
        try harness.waitUntil("the first batch", timeout: 60) {
            try harness.integer("SELECT count(*) FROM predictions WHERE batch_id = 'before'") == 8
        }
        XCTAssertEqual(
            try harness.integer("SELECT count(*) FROM predictions WHERE model_version = $1", first), 8)

        try harness.expectSuccess(["model", "activate", "second", "--database-url", harness.databaseURL])
        try harness.waitUntil("the swap", timeout: 30) { worker.standardOutput.contains("to=second") }
        try publish(harness, batch: "after", count: 8)
        try harness.waitUntil("the second batch", timeout: 60) {
            try harness.integer("SELECT count(*) FROM predictions WHERE batch_id = 'after'") == 8
        }
        XCTAssertEqual(
            try harness.integer(
                "SELECT count(*) FROM predictions WHERE batch_id = 'after' AND model_version = 'second'"),
            8)

        // A third version whose stored bytes no longer match their sha256: refused, 'second' stays.
        checkpoint.tensors["experts.0.classifier.bias"]!.values[1] += 0.5
        let thirdFile = harness.directory.appendingPathComponent("third.safetensors")
        try checkpoint.save(to: thirdFile)
        try harness.expectSuccess([
            "model", "register", "--file", thirdFile.path, "--version", "third", "--database-url", harness.databaseURL,
        ])
        let admin = try PostgresConnection(url: harness.databaseURL)
        defer { admin.close() }
        try admin.execute(
            "UPDATE model_versions SET artifact = overlay(artifact PLACING '\\x00'::bytea FROM 200) WHERE version = 'third'"
        )
        try harness.expectSuccess(["model", "activate", "third", "--database-url", harness.databaseURL])
        try harness.waitUntil("the refusal", timeout: 30) {
            worker.standardOutput.contains("model third is corrupt")
        }
        try publish(harness, batch: "corrupt", count: 8)
        try harness.waitUntil("the third batch", timeout: 60) {
            try harness.integer("SELECT count(*) FROM predictions WHERE batch_id = 'corrupt'") == 8
        }
        XCTAssertEqual(
            try harness.integer(
                "SELECT count(*) FROM predictions WHERE batch_id = 'corrupt' AND model_version = 'second'"), 8)
        XCTAssertTrue(worker.process.isRunning)
        XCTAssertEqual(harness.stopWorkers()["s1"], 0)
    }

    private func publish(_ harness: PipelineHarness, batch: String, count: Int) throws {
        let folder = harness.directory.appendingPathComponent(batch)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for index in 0..<count {
            try TestImageFiles.writeImage(to: folder.appendingPathComponent("img\(index).png"), seed: index)
        }
        try harness.expectSuccess([
            "publish", "--batch", batch, "--dir", folder.path, "--wafer", "W1", "--bootstrap", harness.bootstrap,
            "--database-url", harness.databaseURL,
        ])
    }
}
