import Tensor
import XCTest

final class BatchNormTests: XCTestCase {
    func testTrainingUsesBatchStatisticsAndUpdatesRunningAverages() throws {
        let bn = try BatchNorm2d(channels: 2)
        bn.weight.value = try Tensor(shape: [2], scalars: [2, 1])
        bn.bias.value = try Tensor(shape: [2], scalars: [0.5, -1])
        // Channel 0 holds 1, 2, 3, 4 (two images × 2 pixels); channel 1 holds 10 everywhere.
        let x = try Tensor(shape: [2, 2, 1, 2], scalars: [1, 2, 10, 10, 3, 4, 10, 10])
        let y = try bn.forward(x, training: true)
        // mean 2.5, biased variance 1.25.
        let invStd = 1 / (1.25 + 1e-5).squareRoot()
        let expected0 = [1.0, 2, 3, 4].map { Float(2 * ($0 - 2.5) * invStd + 0.5) }
        XCTAssertEqual(y[0, 0, 0, 0], expected0[0], accuracy: 1e-5)
        XCTAssertEqual(y[0, 0, 0, 1], expected0[1], accuracy: 1e-5)
        XCTAssertEqual(y[1, 0, 0, 0], expected0[2], accuracy: 1e-5)
        XCTAssertEqual(y[1, 0, 0, 1], expected0[3], accuracy: 1e-5)
        XCTAssertEqual(y[1, 1, 0, 1], -1, accuracy: 1e-5)
        // Running mean 0.9·0 + 0.1·2.5; running variance 0.9·1 + 0.1·(5/3) (unbiased).
        XCTAssertEqual(bn.runningMean[flat: 0], 0.25, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVariance[flat: 0], 0.9 + 0.1 * 5 / 3, accuracy: 1e-6)
        XCTAssertEqual(bn.runningMean[flat: 1], 1, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVariance[flat: 1], 0.9, accuracy: 1e-6)
    }

    func testInferenceUsesRunningStatistics() throws {
        let bn = try BatchNorm2d(channels: 1)
        bn.runningMean = try Tensor(shape: [1], scalars: [2])
        bn.runningVariance = try Tensor(shape: [1], scalars: [4])
        bn.weight.value = try Tensor(shape: [1], scalars: [3])
        bn.bias.value = try Tensor(shape: [1], scalars: [1])
        let x = try Tensor(shape: [1, 1, 1, 3], scalars: [0, 2, 6])
        let y = try bn.forward(x, training: false)
        let s = 3 / Float(4 + 1e-5).squareRoot()
        XCTAssertEqual(y[flat: 0], -2 * s + 1, accuracy: 1e-5)
        XCTAssertEqual(y[flat: 1], 1, accuracy: 1e-5)
        XCTAssertEqual(y[flat: 2], 4 * s + 1, accuracy: 1e-5)
        XCTAssertEqual(bn.runningMean[flat: 0], 2, "inference leaves running statistics alone")
        let (scale, shift) = bn.inferenceAffine()
        XCTAssertEqual(scale[0] * 6 + shift[0], y[flat: 2], accuracy: 1e-5)
    }

    func testGradientsInTrainingAndInference() throws {
        var generator = SeededGenerator(seed: 5)
        let bn = try BatchNorm2d(channels: 3)
        bn.weight.value = GradientCheck.randomTensor([3], generator: &generator)
        bn.bias.value = GradientCheck.randomTensor([3], generator: &generator)
        let x = GradientCheck.randomTensor([2, 3, 3, 2], generator: &generator, scale: 2)
        try LayerGradientChecker(epsilon: 1e-2, tolerance: 2e-2).check(bn, input: x, training: true)
        bn.runningVariance = try Tensor(shape: [3], scalars: [0.5, 2, 1])
        try LayerGradientChecker().check(bn, input: x, training: false)
    }

    func testRejectsSingleValueBatchesInTraining() throws {
        let bn = try BatchNorm2d(channels: 2)
        XCTAssertThrowsError(try bn.forward(Tensor(zeros: [1, 2, 1, 1]), training: true))
        XCTAssertNoThrow(try bn.forward(Tensor(zeros: [1, 2, 1, 1]), training: false))
        XCTAssertThrowsError(try bn.forward(Tensor(zeros: [1, 3, 2, 2]), training: false))
    }
}
