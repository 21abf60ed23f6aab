import Foundation
import ReCAME
import Tensor
import TestSupport
import XCTest

final class CheckpointTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestEnvironment.uniqueName("ckpt"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A checkpoint of `configuration` with deterministic pseudo-random values (variances positive).
    static func random(_ configuration: ModelConfiguration, seed: UInt64 = 1) -> Checkpoint {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        var tensors: [String: SafetensorsFile.Entry] = [:]
        for spec in CheckpointLayout(configuration).tensors {
            let positive = spec.name.hasSuffix("running_var") || spec.name.hasSuffix("bn1.weight")
            let values = (0..<spec.elementCount).map { _ in positive ? next() + 1 : next() * 0.5 }
            tensors[spec.name] = .init(shape: spec.shape, values: values)
        }
        return Checkpoint(configuration: configuration, tensors: tensors)
    }

    func testSaveAndLoadRoundTrip() throws {
        var checkpoint = Self.random(ModelConfigurationTests.fashion())
        checkpoint.extraMetadata = ["created_by": "recame train"]
        let url = directory.appendingPathComponent("model.safetensors")
        try checkpoint.save(to: url)
        let loaded = try Checkpoint.load(contentsOf: url)
        XCTAssertEqual(loaded.configuration, checkpoint.configuration)
        XCTAssertEqual(loaded.extraMetadata, ["created_by": "recame train"])
        XCTAssertEqual(loaded.tensors, checkpoint.tensors)

        let raw = try SafetensorsFile(contentsOf: url)
        XCTAssertEqual(raw.metadata["format"], "recame-1")
        XCTAssertEqual(try ModelConfiguration(jsonString: raw.metadata["config"]!), checkpoint.configuration)
    }

    private func loadError(_ file: SafetensorsFile, file sourceFile: StaticString = #filePath, line: UInt = #line)
        -> CheckpointError?
    {
        let url = directory.appendingPathComponent(TestEnvironment.uniqueName("bad") + ".safetensors")
        do {
            try file.write(to: url)
            _ = try Checkpoint.load(contentsOf: url)
            XCTFail("accepted a bad checkpoint", file: sourceFile, line: line)
            return nil
        } catch let error as CheckpointError {
            guard case .inFile(let path, let inner) = error else {
                XCTFail("error does not name the file: \(error)", file: sourceFile, line: line)
                return nil
            }
            XCTAssertEqual(path, url.path, file: sourceFile, line: line)
            return inner
        } catch {
            XCTFail("unexpected error \(error)", file: sourceFile, line: line)
            return nil
        }
    }

    private func goodFile() throws -> SafetensorsFile {
        try Self.random(ModelConfigurationTests.fashion(experts: 1, depth: 8)).safetensorsFile()
    }

    func testLoadNamesMissingUnexpectedAndMisshapenTensors() throws {
        var file = try goodFile()
        file.tensors["experts.0.layer2.0.rca.fc2.bias"] = nil
        file.tensors["experts.0.layer1.0.bn2.running_var"] = .init(
            shape: [16, 1], values: .init(repeating: 1, count: 16))
        file.tensors["experts.0.bn1.num_batches_tracked"] = .init(shape: [], values: [0])
        file.tensors["experts.1.conv1.weight"] = .init(shape: [1], values: [0])
        let error = loadError(file)
        XCTAssertEqual(
            error,
            .layoutMismatch(
                missing: ["experts.0.layer2.0.rca.fc2.bias"],
                unexpected: ["experts.0.bn1.num_batches_tracked", "experts.1.conv1.weight"],
                wrongShapes: [.init(name: "experts.0.layer1.0.bn2.running_var", expected: [16], found: [16, 1])]))
        let text = "\(error!)"
        for fragment in [
            "missing tensors: experts.0.layer2.0.rca.fc2.bias",
            "unexpected tensors: experts.0.bn1.num_batches_tracked, experts.1.conv1.weight",
            "experts.0.layer1.0.bn2.running_var has shape [16, 1], expected [16]",
        ] {
            XCTAssertTrue(text.contains(fragment), text)
        }
    }

    func testLoadRefusesWrongFormatAndBrokenConfig() throws {
        var file = try goodFile()
        file.metadata["format"] = "recame-0"
        XCTAssertEqual(loadError(file), .unsupportedFormat("recame-0"))
        file.metadata["format"] = nil
        XCTAssertEqual(loadError(file), .missingMetadata("format"))

        file = try goodFile()
        file.metadata["config"] = nil
        XCTAssertEqual(loadError(file), .missingMetadata("config"))

        file = try goodFile()
        file.metadata["config"] = file.metadata["config"]!.replacingOccurrences(of: "\"depth\":8", with: "\"depth\":9")
        let error = loadError(file)
        guard case .configuration(let configError) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(configError.field, "depth")
        XCTAssertTrue("\(error!)".contains("config field 'depth'"))

        // A valid config of another architecture: the tensors no longer fit it.
        file = try goodFile()
        file.metadata["config"] = ModelConfigurationTests.fashion(experts: 1, depth: 14).jsonString
        guard case .layoutMismatch(let missing, let unexpected, let wrongShapes) = loadError(file) else {
            return XCTFail("a depth-8 file passed as depth 14")
        }
        XCTAssertEqual(missing.count, 3 * 14)
        XCTAssertTrue(unexpected.isEmpty)
        XCTAssertTrue(wrongShapes.isEmpty)
    }

    func testLoadRefusesNonFiniteWeightsAndNegativeVariance() throws {
        var file = try goodFile()
        file.tensors["experts.0.layer3.0.conv2.weight"]!.values[5] = .nan
        XCTAssertEqual(
            "\(loadError(file)!)", "tensor 'experts.0.layer3.0.conv2.weight' holds nan at flat index 5")
        file = try goodFile()
        file.tensors["experts.0.bn1.running_var"]!.values[2] = -1
        XCTAssertEqual(loadError(file), .negativeVariance(name: "experts.0.bn1.running_var", index: 2))
    }

    func testSaveRefusesAnInvalidCheckpointAndLeavesNoFile() {
        var checkpoint = Self.random(ModelConfigurationTests.fashion(experts: 1, depth: 8))
        checkpoint.tensors["experts.0.classifier.bias"] = nil
        let url = directory.appendingPathComponent("never.safetensors")
        XCTAssertThrowsError(try checkpoint.save(to: url)) {
            XCTAssertTrue("\($0)".contains("experts.0.classifier.bias"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
