import Foundation
import Tensor
import TestSupport
import XCTest

@testable import ReCAME

/// The checkpoint contract end to end: files exported by the PyTorch reference (bench/recame_torch.py)
/// load into our network and give the reference's logits, through the training-graph forward pass and
/// through the folded inference path.
final class TorchParityTests: XCTestCase {
    private func fixture(_ name: String) -> URL {
        TestEnvironment.packageRoot.appendingPathComponent("Tests/Fixtures/checkpoint/\(name)")
    }

    private func check(_ name: String) throws {
        let checkpoint = try Checkpoint.load(contentsOf: fixture("\(name).safetensors"))
        let reference = try SafetensorsFile(contentsOf: fixture("\(name).reference.safetensors"))
        let input = try XCTUnwrap(reference.tensors["input"])
        let expected = try XCTUnwrap(reference.tensors["logits"])
        let images = try Tensor(shape: input.shape, scalars: input.values)
        let network = try ReCAMENetwork(checkpoint: checkpoint)

        let ours = try network.ensembleLogits(images)
        XCTAssertEqual(ours.shape, expected.shape)
        let scale = expected.values.map(abs).max() ?? 1
        for (a, b) in zip(ours.scalars, expected.values) {
            XCTAssertEqual(a, b, accuracy: 2e-4 * max(1, scale), "\(name): training-graph logits")
        }
        let folded = try network.inferenceModel().predict(images)
        for (a, b) in zip(folded.scalars, expected.values) {
            XCTAssertEqual(a, b, accuracy: 2e-4 * max(1, scale), "\(name): folded inference logits")
        }
        // Saving what we loaded reproduces the same tensors, bit for bit.
        let saved = try network.checkpoint(configuration: checkpoint.configuration)
        XCTAssertEqual(saved.tensors, checkpoint.tensors)
    }

    func testGrayEnsembleMatchesPyTorch() throws { try check("tiny-gray") }

    func testRGBStudentMatchesPyTorch() throws { try check("tiny-rgb-student") }
}
