import Foundation
import ReCAME
import Tensor
import TestSupport
import XCTest

/// The committed PyTorch-exported fixtures (Tests/Fixtures/checkpoint) load under the contract, and
/// their reference logits have the shapes the configuration implies.
final class CheckpointFixtureTests: XCTestCase {
    static let folder = TestEnvironment.packageRoot.appendingPathComponent("Tests/Fixtures/checkpoint")

    /// A fixture checkpoint and its reference batch: input, per-expert logits and mean logits.
    static func fixture(_ name: String) throws -> (checkpoint: Checkpoint, reference: SafetensorsFile) {
        let checkpoint = try Checkpoint.load(contentsOf: folder.appendingPathComponent("\(name).safetensors"))
        let reference = try SafetensorsFile(contentsOf: folder.appendingPathComponent("\(name).reference.safetensors"))
        return (checkpoint, reference)
    }

    func testEnsembleFixture() throws {
        let (checkpoint, reference) = try Self.fixture("tiny-gray")
        let configuration = checkpoint.configuration
        XCTAssertEqual(configuration.kind, .ensemble)
        XCTAssertEqual(configuration.experts, 2)
        XCTAssertEqual(configuration.widths, [8, 16, 32])
        XCTAssertEqual(configuration.inputSize, [12, 10])
        XCTAssertEqual(configuration.temperature, 1.5)
        XCTAssertEqual(configuration.trainCounts?.count, 10)
        XCTAssertEqual(configuration.training?.serialized.contains("\"seed\":11"), true)
        // The JSON beside the fixture is the configuration it was exported from.
        let source = try String(contentsOf: Self.folder.appendingPathComponent("tiny-gray.json"), encoding: .utf8)
        XCTAssertEqual(try ModelConfiguration(jsonString: source), configuration)
        try checkReference(reference, configuration, batch: 4)
    }

    func testStudentFixture() throws {
        let (checkpoint, reference) = try Self.fixture("tiny-rgb-student")
        let configuration = checkpoint.configuration
        XCTAssertEqual(configuration.kind, .student)
        XCTAssertEqual(configuration.bnEps, 1e-3)
        XCTAssertEqual(configuration.cosineScale, 10)
        XCTAssertEqual(checkpoint.tensors["experts.0.layer1.1.rca.fc1.weight"]?.shape, [2, 4])  // max(4 / 4, 2)
        XCTAssertEqual(checkpoint.tensors["experts.0.layer3.0.rca.fc1.weight"]?.shape, [4, 16])  // 16 / 4
        try checkReference(reference, configuration, batch: 3)
    }

    private func checkReference(_ reference: SafetensorsFile, _ configuration: ModelConfiguration, batch: Int) throws {
        let classes = configuration.numClasses
        XCTAssertEqual(
            reference.tensors["input"]?.shape, [batch, configuration.inChannels] + configuration.inputSize)
        XCTAssertEqual(reference.tensors["expert_logits"]?.shape, [configuration.experts, batch, classes])
        let logits = try XCTUnwrap(reference.tensors["logits"])
        XCTAssertEqual(logits.shape, [batch, classes])
        // The stored mean is the mean of the stored per-expert logits.
        let experts = try XCTUnwrap(reference.tensors["expert_logits"]).values
        for index in 0..<batch * classes {
            let mean =
                (0..<configuration.experts).map { experts[$0 * batch * classes + index] }.reduce(0, +)
                / Float(configuration.experts)
            XCTAssertEqual(logits.values[index], mean, accuracy: 1e-5)
        }
    }
}
