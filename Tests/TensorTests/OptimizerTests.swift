import Foundation
import Tensor
import XCTest

final class OptimizerTests: XCTestCase {
    private func parameter(_ value: Float, gradient: Float, role: ParameterRole) throws -> Parameter {
        let p = Parameter(try Tensor(shape: [1], scalars: [value]), role: role)
        p.gradient = try Tensor(shape: [1], scalars: [gradient])
        return p
    }

    func testMomentumWithWeightDecayFollowsPyTorch() throws {
        let weight = try parameter(1, gradient: 0.5, role: .weight)
        let bias = try parameter(1, gradient: 0.5, role: .bias)
        let gamma = try parameter(1, gradient: 0.5, role: .normalization)
        let sgd = try SGD(
            parameters: [weight, bias, gamma],
            configuration: SGDConfiguration(learningRate: 0.1, momentum: 0.9, weightDecay: 0.1))
        try sgd.step()
        // Weight: d = 0.5 + 0.1·1 = 0.6, v = 0.6, p = 1 − 0.06. Bias and γ: no decay.
        XCTAssertEqual(weight.value[flat: 0], 0.94, accuracy: 1e-6)
        XCTAssertEqual(bias.value[flat: 0], 0.95, accuracy: 1e-6)
        XCTAssertEqual(gamma.value[flat: 0], 0.95, accuracy: 1e-6)
        try sgd.step()
        // Weight: d = 0.5 + 0.094 = 0.594, v = 0.9·0.6 + 0.594 = 1.134, p = 0.94 − 0.1134.
        XCTAssertEqual(weight.value[flat: 0], 0.94 - 0.1134, accuracy: 1e-6)
    }

    func testNesterov() throws {
        let weight = try parameter(1, gradient: 1, role: .weight)
        let sgd = try SGD(
            parameters: [weight],
            configuration: SGDConfiguration(learningRate: 0.1, momentum: 0.5, nesterov: true, weightDecay: 0))
        try sgd.step()
        // v = 1, update = 1 + 0.5·1.
        XCTAssertEqual(weight.value[flat: 0], 1 - 0.15, accuracy: 1e-6)
        try sgd.step()
        // v = 0.5 + 1 = 1.5, update = 1 + 0.75.
        XCTAssertEqual(weight.value[flat: 0], 0.85 - 0.175, accuracy: 1e-6)
    }

    func testDecayOfBiasAndNormalizationIsConfigurable() throws {
        let bias = try parameter(1, gradient: 0, role: .bias)
        let gamma = try parameter(1, gradient: 0, role: .normalization)
        let sgd = try SGD(
            parameters: [bias, gamma],
            configuration: SGDConfiguration(
                learningRate: 1, momentum: 0, weightDecay: 0.5, decayNormalization: true, decayBias: true))
        try sgd.step()
        XCTAssertEqual(bias.value[flat: 0], 0.5)
        XCTAssertEqual(gamma.value[flat: 0], 0.5)
    }

    func testRejectsBadSettingsAndNonFiniteGradients() throws {
        XCTAssertThrowsError(
            try SGD(parameters: [], configuration: SGDConfiguration(learningRate: -1)))
        XCTAssertThrowsError(
            try SGD(parameters: [], configuration: SGDConfiguration(momentum: 0, nesterov: true)))
        let weight = try parameter(1, gradient: .nan, role: .weight)
        let sgd = try SGD(parameters: [weight], configuration: SGDConfiguration())
        XCTAssertThrowsError(try sgd.step())
        XCTAssertEqual(weight.value[flat: 0], 1)
    }

    func testWarmupCosineSchedule() throws {
        let schedule = try WarmupCosineSchedule(baseRate: 0.1, warmupSteps: 5, totalSteps: 105)
        XCTAssertEqual(schedule.learningRate(atStep: 0), 0.02, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(atStep: 4), 0.1, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(atStep: 5), 0.1, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(atStep: 55), 0.05, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(atStep: 105), 0, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(atStep: 500), 0, accuracy: 1e-12)
        XCTAssertThrowsError(try WarmupCosineSchedule(baseRate: 0.1, warmupSteps: 5, totalSteps: 5))
    }

    func testStepSchedule() throws {
        let schedule = try StepSchedule(baseRate: 1, milestones: [10, 20], factor: 0.1, warmupSteps: 2)
        XCTAssertEqual(schedule.learningRate(atStep: 0), 0.5)
        XCTAssertEqual(schedule.learningRate(atStep: 9), 1)
        XCTAssertEqual(schedule.learningRate(atStep: 10), 0.1, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(atStep: 25), 0.01, accuracy: 1e-12)
        XCTAssertThrowsError(try StepSchedule(baseRate: 1, milestones: [20, 10]))
    }
}
