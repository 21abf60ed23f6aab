import ReCAME
import Tensor
import XCTest

final class InferenceTests: XCTestCase {
    /// A network whose BatchNorm statistics and weights have moved away from their initial values.
    private func trainedNetwork(experts: Int = 2, size: Int = 8) throws -> ReCAMENetwork {
        let network = try ReCAMENetwork(
            architecture: tinyArchitecture(experts: experts, classes: 4, size: size), seed: 8)
        let trainer = try ReCAMETrainer(
            network: network, loss: .paper, classCounts: [10, 5, 3, 2],
            optimizer: SGDConfiguration(learningRate: 0.05))
        var generator = SeededGenerator(seed: 9)
        for _ in 0..<3 {
            let images = GradientCheck.randomTensor([8, 1, size, size], generator: &generator)
            try trainer.trainStep(images: images, labels: [0, 1, 2, 3, 0, 1, 2, 3])
        }
        return network
    }

    func testFoldedInferenceMatchesTheUnfoldedNetwork() throws {
        // 11×11 inputs give odd maps (11, 6, 3) and uneven quadrants; 20×20 ones span several GEMM groups.
        for size in [8, 11, 20] {
            let network = try trainedNetwork(size: size)
            var generator = SeededGenerator(seed: 10)
            let images = GradientCheck.randomTensor([5, 1, size, size], generator: &generator)
            let reference = try network.ensembleLogits(images)
            let model = try network.inferenceModel()
            let folded = try model.predict(images)
            XCTAssertEqual(folded.shape, [5, 4])
            XCTAssertLessThan(try folded.maximumAbsoluteDifference(to: reference), 1e-4, "size \(size)")
            // Buffers are reused: a second batch, smaller, then the first again, gives the same values.
            _ = try model.predict(GradientCheck.randomTensor([2, 1, size, size], generator: &generator))
            XCTAssertEqual(try model.predict(images), folded)
            let parallel = try model.predict(images, parallelism: 3)
            XCTAssertLessThan(try parallel.maximumAbsoluteDifference(to: folded), 1e-5)
        }
    }

    func testProbabilitiesAreACalibratedSoftmaxOfTheMeanLogits() throws {
        let network = try trainedNetwork()
        let model = try network.inferenceModel()
        var generator = SeededGenerator(seed: 11)
        let images = GradientCheck.randomTensor([3, 1, 8, 8], generator: &generator)
        let logits = try model.predict(images)
        let probabilities = try model.probabilities(images, temperature: 2)
        let expected = try Softmax.probabilities(logits.scaled(by: 0.5))
        XCTAssertLessThan(try probabilities.maximumAbsoluteDifference(to: expected), 1e-6)
        for n in 0..<3 {
            XCTAssertEqual((0..<4).map { probabilities[n, $0] }.reduce(0, +), 1, accuracy: 1e-5)
        }
        XCTAssertThrowsError(try model.probabilities(images, temperature: 0))
    }

    func testRejectsImagesOfTheWrongShape() throws {
        let model = try trainedNetwork().inferenceModel()
        XCTAssertThrowsError(try model.predict(Tensor(zeros: [1, 1, 8, 9])))
        XCTAssertThrowsError(try model.predict(Tensor(zeros: [1, 3, 8, 8])))
        XCTAssertThrowsError(try model.predict(Tensor(zeros: [1, 8, 8])))
        XCTAssertThrowsError(try model.predict(Tensor(zeros: [1, 1, 8, 8]), parallelism: 0))
        XCTAssertEqual(try model.predict(Tensor(zeros: [0, 1, 8, 8])).shape, [0, 4])
    }
}
