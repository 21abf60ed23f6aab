import Tensor
import XCTest

final class LayerTests: XCTestCase {
    /// Standard-normal values pushed away from 0 so that no finite-difference step crosses a kink.
    private func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        var x = GradientCheck.randomTensor(shape, generator: &generator)
        for i in 0..<x.count { x[flat: i] += x[flat: i] >= 0 ? 0.1 : -0.1 }
        return x
    }

    func testReLU() throws {
        let relu = ReLU()
        let y = try relu.forward(try Tensor(shape: [1, 3], scalars: [-1, 0, 2]), training: true)
        XCTAssertEqual(y.scalars, [0, 0, 2])
        try LayerGradientChecker().check(ReLU(), input: awayFromZero([2, 3, 2, 2], seed: 1))
    }

    func testSigmoid() throws {
        let y = try Sigmoid().forward(try Tensor(shape: [3], scalars: [0, 100, -100]), training: true)
        XCTAssertEqual(y.scalars[0], 0.5)
        XCTAssertEqual(y.scalars[1], 1)
        XCTAssertEqual(y.scalars[2], 0, accuracy: 1e-30)
        XCTAssertTrue(y.isFinite)
        try LayerGradientChecker().check(Sigmoid(), input: awayFromZero([2, 5], seed: 2))
    }

    func testGlobalPools() throws {
        let x = try Tensor(shape: [1, 2, 2, 2], scalars: [1, 2, 3, 6, -1, -2, -3, -4])
        XCTAssertEqual(try GlobalAveragePool().forward(x, training: true).scalars, [3, -2.5])
        XCTAssertEqual(try GlobalMaxPool().forward(x, training: true).scalars, [6, -1])
        try LayerGradientChecker().check(GlobalAveragePool(), input: awayFromZero([2, 3, 3, 2], seed: 3))
        // Distinct values a step apart keep the arg-max fixed under the ±ε perturbation.
        var distinct = Tensor(zeros: [2, 2, 2, 3])
        var generator = SeededGenerator(seed: 4)
        var values = (0..<distinct.count).map { Float($0) * 0.5 }
        values.shuffle(using: &generator)
        for i in 0..<distinct.count { distinct[flat: i] = values[i] }
        try LayerGradientChecker().check(GlobalMaxPool(), input: distinct)
    }

    func testLinear() throws {
        var generator = SeededGenerator(seed: 5)
        let linear = try Linear(inputFeatures: 3, outputFeatures: 2, generator: &generator)
        linear.weight.value = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        linear.bias!.value = try Tensor(shape: [2], scalars: [0.5, -0.5])
        let y = try linear.forward(try Tensor(shape: [1, 3], scalars: [1, 0, -1]), training: true)
        XCTAssertEqual(y.scalars, [-1.5, -2.5])
        try LayerGradientChecker().check(linear, input: awayFromZero([4, 3], seed: 6))
        let noBias = try Linear(inputFeatures: 4, outputFeatures: 3, bias: false, generator: &generator)
        try LayerGradientChecker().check(noBias, input: awayFromZero([2, 4], seed: 7))
        XCTAssertThrowsError(try linear.forward(Tensor(zeros: [2, 4]), training: true))
    }

    func testL2Normalization() throws {
        let y = try L2Normalization().forward(try Tensor(shape: [1, 2], scalars: [3, 4]), training: true)
        XCTAssertEqual(y.scalars, [0.6, 0.8])
        try LayerGradientChecker(epsilon: 1e-3).check(L2Normalization(), input: awayFromZero([3, 4], seed: 8))
    }

    func testEmptyBatchesAreHandledWithoutCrashing() throws {
        var generator = SeededGenerator(seed: 9)
        let linear = try Linear(inputFeatures: 3, outputFeatures: 2, generator: &generator)
        XCTAssertEqual(try linear.forward(Tensor(zeros: [0, 3]), training: true).shape, [0, 2])
        XCTAssertEqual(try linear.backward(Tensor(zeros: [0, 2])).shape, [0, 3])
        let relu = ReLU()
        XCTAssertEqual(try relu.forward(Tensor(zeros: [0, 4]), training: true).shape, [0, 4])
        XCTAssertEqual(try relu.backward(Tensor(zeros: [0, 4])).shape, [0, 4])
        let conv = try Conv2d(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, generator: &generator)
        XCTAssertThrowsError(try conv.forward(Tensor(zeros: [0, 1, 4, 4]), training: true))
    }

    func testResidualAdd() throws {
        let a = try Tensor(shape: [2], scalars: [1, 2])
        let b = try Tensor(shape: [2], scalars: [3, 5])
        XCTAssertEqual(try a.adding(b).scalars, [4, 7])
        XCTAssertThrowsError(try a.adding(Tensor(zeros: [3])))
    }
}
