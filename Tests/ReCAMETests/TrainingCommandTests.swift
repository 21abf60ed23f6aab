import Datasets
import Foundation
import ReCAME
import Tensor
import TestSupport
import XCTest

/// train → evaluate → distill through the `recame` binary on a tiny folder data set of PNG files.
final class TrainingCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TrainingFixtures.temporaryDirectory("training-command")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func recame(_ arguments: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run(TestEnvironment.recameBinary.path, arguments, timeout: 120)
    }

    func testTrainEvaluateAndDistillThroughTheCommandLine() throws {
        let data = directory.appendingPathComponent("defects")
        try TrainingFixtures.writeFolder(at: data, perClass: 20, seed: 9)
        let model = directory.appendingPathComponent("model.safetensors").path
        let splits = directory.appendingPathComponent("splits").path
        let common = ["--data", "folder:\(data.path)", "--splits", splits]
        let trained = try recame(
            ["train"] + common + [
                "--out", model, "--epochs", "3", "--experts", "2", "--depth", "8", "--width", "0.25", "--input",
                "8x8", "--batch", "8", "--lr", "0.05", "--seed", "4",
            ])
        XCTAssertEqual(trained.status, 0, trained.standardError)
        XCTAssertTrue(trained.standardOutput.contains("wrote \(model)"), trained.standardOutput)
        XCTAssertTrue(trained.standardError.contains("epoch 3/3"), trained.standardError)
        // One training thread must not bring OpenBLAS's pool of a thread per core with it.
        XCTAssertTrue(
            trained.standardError.contains("1 thread(s), BLAS 1 thread(s)"), trained.standardError)
        let checkpoint = try Checkpoint.load(contentsOf: URL(fileURLWithPath: model))
        XCTAssertEqual(checkpoint.configuration.classNames, ["checker", "horizontal", "vertical"])
        XCTAssertEqual(checkpoint.configuration.trainCounts, [14, 14, 14])
        guard case .object(let training) = checkpoint.configuration.training else { return XCTFail("no metadata") }
        XCTAssertEqual(training["data"], .string("folder:\(data.path)"))
        XCTAssertEqual(training["seed"], .string("4"))

        // A second run without --resume must not silently overwrite the first run's state.
        let again = try recame(["train"] + common + ["--out", model, "--epochs", "3", "--input", "8x8"])
        XCTAssertEqual(again.status, 2)
        XCTAssertTrue(again.standardError.contains("--resume"), again.standardError)

        let report = directory.appendingPathComponent("report.html").path
        let evaluated = try recame(
            ["evaluate", "--model", model, "--splits", splits, "--json", "--report", report])
        XCTAssertEqual(evaluated.status, 0, evaluated.standardError)
        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(evaluated.standardOutput.utf8)) as? [String: Any])
        let confusion = try XCTUnwrap(json["confusion"] as? [[Int]])

        // The same model on the same test split, predicted here and counted by hand.
        let splitsLoaded = try Datasets.DataSpecification(parsing: "folder:\(data.path)").load(
            height: 8, width: 8, channels: 1, seed: 4, splitDirectory: splits)
        let network = try ReCAMENetwork(checkpoint: checkpoint).inferenceModel()
        let loader = try BatchLoader(
            images: splitsLoaded.test, mean: checkpoint.configuration.mean, std: checkpoint.configuration.std)
        let logits = try network.predict(try loader.batch(0..<splitsLoaded.test.count))
        var expected = [[Int]](repeating: [0, 0, 0], count: 3)
        for (index, label) in splitsLoaded.test.labels.enumerated() {
            let row = (0..<3).map { logits[index, $0] }
            expected[label][row.firstIndex(of: row.max()!)!] += 1
        }
        XCTAssertEqual(confusion, expected)
        let total = expected.joined().reduce(0, +)
        let diagonal = (0..<3).map { expected[$0][$0] }
        XCTAssertEqual(total, 12)
        XCTAssertEqual(try XCTUnwrap(json["accuracy"] as? Double), Double(diagonal.reduce(0, +)) / 12, accuracy: 1e-12)
        let recalls = (0..<3).map { Double(diagonal[$0]) / Double(expected[$0].reduce(0, +)) }
        XCTAssertEqual(try XCTUnwrap(json["per_class_recall"] as? [Double]), recalls)
        XCTAssertEqual(
            try XCTUnwrap(json["balanced_accuracy"] as? Double), recalls.reduce(0, +) / 3, accuracy: 1e-12)
        XCTAssertEqual(
            try XCTUnwrap(json["few_recall"] as? Double), recalls.reduce(0, +) / 3, accuracy: 1e-12,
            "every class has 14 training images: all are Few")
        XCTAssertTrue(json["medium_recall"] is NSNull, "no class has 20–100 training images")
        XCTAssertNotNil(json["macro_f1"] as? Double)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("Training curves"), "history from the checkpoint metadata")
        XCTAssertFalse(html.contains("<script"))

        let table = try recame(["evaluate", "--model", model, "--splits", splits])
        XCTAssertEqual(table.status, 0, table.standardError)
        XCTAssertTrue(table.standardOutput.contains("macro-F1"), table.standardOutput)
        XCTAssertTrue(table.standardOutput.contains("confusion matrix"), table.standardOutput)

        let student = directory.appendingPathComponent("student.safetensors").path
        let distilled = try recame(
            ["distill", "--teacher", model, "--out", student, "--splits", splits, "--epochs", "2"])
        XCTAssertEqual(distilled.status, 0, distilled.standardError)
        XCTAssertTrue(distilled.standardOutput.contains("ensemble (teacher)"), distilled.standardOutput)
        let studentCheckpoint = try Checkpoint.load(contentsOf: URL(fileURLWithPath: student))
        XCTAssertEqual(studentCheckpoint.configuration.kind, .student)
        XCTAssertEqual(studentCheckpoint.configuration.experts, 1)
        XCTAssertEqual(studentCheckpoint.configuration.mean, checkpoint.configuration.mean)
    }

    func testBadFlagsAreUsageErrors() throws {
        let bad = try recame(["train", "--data", "fmnist-lt:100", "--out", "/tmp/x", "--input", "3x3"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.standardError.contains("--input"), bad.standardError)
        let baseline = try recame([
            "train", "--data", "fmnist-lt:100", "--out", "/tmp/x", "--baseline", "ce", "--no-hcm",
        ])
        XCTAssertEqual(baseline.status, 2)
        let missing = try recame(["evaluate", "--model", directory.appendingPathComponent("none").path])
        XCTAssertEqual(missing.status, 1)
        let help = try recame(["train", "--help"])
        XCTAssertEqual(help.status, 0)
        for flag in ["--baseline ce", "--resume", "--no-rca", "--no-balanced", "--threads", "--limit-train"] {
            XCTAssertTrue(help.standardOutput.contains(flag), flag)
        }
    }
}
