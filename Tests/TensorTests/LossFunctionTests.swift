import Foundation
import Tensor
import XCTest

final class LossFunctionTests: XCTestCase {
    func testSoftmaxAndLogSoftmax() throws {
        let logits = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 1000, 1000, 1000])
        let p = try Softmax.probabilities(logits)
        let e = [exp(1.0), exp(2.0), exp(3.0)]
        let total = e.reduce(0, +)
        for c in 0..<3 { XCTAssertEqual(Double(p[0, c]), e[c] / total, accuracy: 1e-6) }
        for c in 0..<3 { XCTAssertEqual(p[1, c], 1 / 3, accuracy: 1e-6) }
        let logP = try Softmax.logProbabilities(logits)
        XCTAssertEqual(Double(logP[0, 2]), log(e[2] / total), accuracy: 1e-6)

        var generator = SeededGenerator(seed: 1)
        let z = GradientCheck.randomTensor([3, 4], generator: &generator)
        let r = GradientCheck.randomTensor([3, 4], generator: &generator)
        let probabilities = try Softmax.probabilities(z)
        let analytic = try Softmax.backward(probabilities: probabilities, outputGradient: r)
        let numeric = try GradientCheck.numericalGradient(at: z, epsilon: 1e-2) {
            GradientCheck.projection(try Softmax.probabilities($0), onto: r)
        }
        XCTAssertLessThan(try GradientCheck.relativeError(analytic, numeric), 1e-2)
        let logAnalytic = try Softmax.logBackward(probabilities: probabilities, outputGradient: r)
        let logNumeric = try GradientCheck.numericalGradient(at: z, epsilon: 1e-2) {
            GradientCheck.projection(try Softmax.logProbabilities($0), onto: r)
        }
        XCTAssertLessThan(try GradientCheck.relativeError(logAnalytic, logNumeric), 1e-2)
    }

    func testCrossEntropy() throws {
        let logits = try Tensor(shape: [2, 2], scalars: [0, 0, 2, 0])
        let (loss, _) = try CrossEntropy.lossAndGradient(logits: logits, labels: [0, 1])
        let expected = (log(2.0) + (log(exp(2.0) + 1) - 0)) / 2
        XCTAssertEqual(loss, expected, accuracy: 1e-6)

        var generator = SeededGenerator(seed: 2)
        let z = GradientCheck.randomTensor([4, 5], generator: &generator)
        let labels = [0, 4, 2, 2]
        let (_, gradient) = try CrossEntropy.lossAndGradient(logits: z, labels: labels)
        let numeric = try GradientCheck.numericalGradient(at: z, epsilon: 1e-2) {
            try CrossEntropy.lossAndGradient(logits: $0, labels: labels).loss
        }
        XCTAssertLessThan(try GradientCheck.relativeError(gradient, numeric), 1e-2)
        XCTAssertThrowsError(try CrossEntropy.lossAndGradient(logits: z, labels: [0, 1, 5, 0]))
        XCTAssertThrowsError(try CrossEntropy.lossAndGradient(logits: z, labels: [0]))
    }

    func testKLDivergence() throws {
        let same = try Tensor(shape: [1, 3], scalars: [1, 2, 3])
        XCTAssertEqual(
            try KLDivergence.lossAndGradients(targetLogits: same, inputLogits: same).loss, 0,
            accuracy: 1e-7)
        let p = [0.5, 0.5]
        let q = [0.25, 0.75]
        let target = try Tensor(shape: [1, 2], scalars: p.map { Float(log($0)) })
        let input = try Tensor(shape: [1, 2], scalars: q.map { Float(log($0)) })
        let expected = p[0] * log(p[0] / q[0]) + p[1] * log(p[1] / q[1])
        XCTAssertEqual(
            try KLDivergence.lossAndGradients(targetLogits: target, inputLogits: input).loss, expected,
            accuracy: 1e-6)

        var generator = SeededGenerator(seed: 3)
        let t = GradientCheck.randomTensor([3, 4], generator: &generator)
        let s = GradientCheck.randomTensor([3, 4], generator: &generator)
        let result = try KLDivergence.lossAndGradients(targetLogits: t, inputLogits: s)
        let numericTarget = try GradientCheck.numericalGradient(at: t, epsilon: 1e-2) {
            try KLDivergence.lossAndGradients(targetLogits: $0, inputLogits: s).loss
        }
        let numericInput = try GradientCheck.numericalGradient(at: s, epsilon: 1e-2) {
            try KLDivergence.lossAndGradients(targetLogits: t, inputLogits: $0).loss
        }
        XCTAssertLessThan(try GradientCheck.relativeError(result.targetGradient, numericTarget), 1e-2)
        XCTAssertLessThan(try GradientCheck.relativeError(result.inputGradient, numericInput), 1e-2)
    }

    func testPairwiseDistances() throws {
        let x = try Tensor(shape: [3, 2], scalars: [0, 0, 3, 4, 0, 1])
        let d = try PairwiseDistance.distances(x)
        XCTAssertEqual(d.scalars, [0, 5, 1, 5, 0, Float(18.0.squareRoot()), 1, Float(18.0.squareRoot()), 0])

        var generator = SeededGenerator(seed: 4)
        let features = GradientCheck.randomTensor([4, 3], generator: &generator)
        let r = GradientCheck.randomTensor([4, 4], generator: &generator)
        let distances = try PairwiseDistance.distances(features)
        let analytic = try PairwiseDistance.backward(
            features: features, distances: distances, distanceGradient: r)
        let numeric = try GradientCheck.numericalGradient(at: features, epsilon: 1e-2) {
            GradientCheck.projection(try PairwiseDistance.distances($0), onto: r)
        }
        XCTAssertLessThan(try GradientCheck.relativeError(analytic, numeric), 1e-2)
    }
}
