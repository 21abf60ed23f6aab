import Foundation
import ReCAME
import Tensor
import TestSupport
import XCTest

/// `recame predict` as a user runs it: the built binary on the tiny-gray fixture checkpoint
/// (12×10 gray input, mean 0.286, std 0.353, temperature 1.5) and PNG files written here.
final class PredictCommandTests: XCTestCase {
    private var directory: URL!
    private let model = TestEnvironment.packageRoot.appendingPathComponent(
        "Tests/Fixtures/checkpoint/tiny-gray.safetensors")

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            TestEnvironment.uniqueName("predict"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: TestEnvironment.recameBinary.path) else {
            throw XCTSkip("recame is not built at \(TestEnvironment.recameBinary.path): run swift build --build-tests")
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes a gray PNG of `width` x `height` with seeded samples and returns its path and samples.
    private func writePNG(_ name: String, width: Int, height: Int, seed: UInt64) throws -> (String, [Int]) {
        var generator = SeededGenerator(seed: seed)
        let samples = (0..<(width * height)).map { _ in generator.nextInt(below: 256) }
        let url = directory.appendingPathComponent(name)
        try Data(RawPNG.make(width: width, height: height, bitDepth: 8, colorType: .gray, samples: samples))
            .write(to: url)
        return (url.path, samples)
    }

    private func predict(_ arguments: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run(TestEnvironment.recameBinary.path, ["predict"] + arguments, timeout: 60)
    }

    func testJSONLinesAreTheCalibratedEnsembleAndBadFilesAreReported() throws {
        let (first, firstSamples) = try writePNG("first.png", width: 10, height: 12, seed: 1)
        let (second, secondSamples) = try writePNG("second.png", width: 10, height: 12, seed: 2)
        let (resized, _) = try writePNG("larger.png", width: 31, height: 17, seed: 3)
        let corrupt = directory.appendingPathComponent("corrupt.png")
        try Data("this is not an image".utf8).write(to: corrupt)
        let missing = directory.appendingPathComponent("missing.png").path

        let result = try predict(
            [
                "--model", model.path, "--json", "--threads", "2", "--batch-size", "2", first, corrupt.path, second,
                missing, resized,
            ])

        XCTAssertEqual(result.status, 1, "a bad file makes the exit status 1: \(result.standardError)")
        XCTAssertTrue(result.standardError.contains(corrupt.path), result.standardError)
        XCTAssertTrue(result.standardError.contains(missing), result.standardError)
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, result.standardOutput)
        let objects = try lines.map { line in
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
        }
        XCTAssertEqual(objects.map { $0["file"] as? String }, [first, second, resized], "results keep file order")

        let classNames = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"]
        for object in objects {
            let probabilities = try XCTUnwrap(object["probabilities"] as? [Double])
            XCTAssertEqual(probabilities.count, 10)
            XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-5)
            let index = try XCTUnwrap(object["class_index"] as? Int)
            XCTAssertEqual(index, probabilities.indices.max { probabilities[$0] < probabilities[$1] })
            XCTAssertEqual(object["class"] as? String, classNames[index])
            XCTAssertEqual(try XCTUnwrap(object["confidence"] as? Double), probabilities[index], accuracy: 1e-7)
        }

        // The same images normalised by hand through the folded ensemble in this process.
        let network = try ReCAMENetwork(checkpoint: Checkpoint.load(contentsOf: model))
        let inputs = (firstSamples + secondSamples).map { (Float($0) / 255 - 0.286) / 0.353 }
        let expected = try network.inferenceModel().probabilities(
            Tensor(shape: [2, 1, 12, 10], scalars: inputs), temperature: 1.5
        ).scalars
        for (row, object) in objects.prefix(2).enumerated() {
            let probabilities = try XCTUnwrap(object["probabilities"] as? [Double])
            for c in 0..<10 {
                XCTAssertEqual(
                    probabilities[c], Double(expected[row * 10 + c]), accuracy: 1e-5, "image \(row) class \(c)")
            }
        }
    }

    func testTableOutputAndAllFilesGoodExitsZero() throws {
        let (first, _) = try writePNG("a.png", width: 10, height: 12, seed: 4)
        let result = try predict(["--model", model.path, "--threads", "1", first])
        XCTAssertEqual(result.status, 0, result.standardError)
        let lines = result.standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, result.standardOutput)
        XCTAssertTrue(lines[0].hasPrefix("FILE"), result.standardOutput)
        XCTAssertTrue(lines[2].hasPrefix(first), result.standardOutput)
    }

    func testUsageAndModelErrors() throws {
        let help = try predict(["--help"])
        XCTAssertEqual(help.status, 0)
        for flag in ["--model", "--json", "--threads", "--batch-size"] {
            XCTAssertTrue(help.standardOutput.contains(flag), "--help documents \(flag)")
        }
        let (image, _) = try writePNG("b.png", width: 10, height: 12, seed: 5)
        XCTAssertEqual(try predict([image]).status, 2, "--model is required")
        XCTAssertEqual(try predict(["--model", model.path]).status, 2, "at least one file")
        XCTAssertEqual(try predict(["--model", model.path, "--threads", "0", image]).status, 2)

        let broken = directory.appendingPathComponent("broken.safetensors")
        try Data([1, 2, 3]).write(to: broken)
        let result = try predict(["--model", broken.path, image])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.standardError.contains(broken.path), result.standardError)
    }
}
