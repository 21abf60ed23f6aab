import Foundation

/// A learning rate as a function of the optimisation step (0-based).
public protocol LearningRateSchedule: Sendable {
    func learningRate(atStep step: Int) -> Double
}

/// Linear warm-up from base/warmupSteps to base over `warmupSteps`, then a cosine decay to
/// `minimumRate` at `totalSteps` (held there afterwards).
public struct WarmupCosineSchedule: LearningRateSchedule, Equatable {
    public let baseRate: Double
    public let warmupSteps: Int
    public let totalSteps: Int
    public let minimumRate: Double

    public init(baseRate: Double, warmupSteps: Int, totalSteps: Int, minimumRate: Double = 0) throws {
        guard baseRate >= 0, minimumRate >= 0, minimumRate <= baseRate else {
            throw TensorError.invalidArgument(
                "cosine schedule needs 0 ≤ minimum (\(minimumRate)) ≤ base rate (\(baseRate))")
        }
        guard warmupSteps >= 0, totalSteps > warmupSteps else {
            throw TensorError.invalidArgument(
                "cosine schedule needs 0 ≤ warm-up steps (\(warmupSteps)) < total steps (\(totalSteps))")
        }
        self.baseRate = baseRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minimumRate = minimumRate
    }

    public func learningRate(atStep step: Int) -> Double {
        if step < warmupSteps {
            return baseRate * Double(max(step, 0) + 1) / Double(warmupSteps)
        }
        let progress = min(1, Double(step - warmupSteps) / Double(totalSteps - warmupSteps))
        return minimumRate + (baseRate - minimumRate) * 0.5 * (1 + cos(Double.pi * progress))
    }
}

/// Optional linear warm-up, then the base rate multiplied by `factor` at each milestone step.
public struct StepSchedule: LearningRateSchedule, Equatable {
    public let baseRate: Double
    public let milestones: [Int]
    public let factor: Double
    public let warmupSteps: Int

    public init(baseRate: Double, milestones: [Int], factor: Double = 0.1, warmupSteps: Int = 0)
        throws
    {
        guard baseRate >= 0, factor > 0, warmupSteps >= 0 else {
            throw TensorError.invalidArgument(
                "step schedule needs base rate ≥ 0, factor > 0 and warm-up ≥ 0")
        }
        guard zip(milestones, milestones.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TensorError.invalidArgument("step schedule milestones must increase: \(milestones)")
        }
        self.baseRate = baseRate
        self.milestones = milestones
        self.factor = factor
        self.warmupSteps = warmupSteps
    }

    public func learningRate(atStep step: Int) -> Double {
        if step < warmupSteps {
            return baseRate * Double(max(step, 0) + 1) / Double(warmupSteps)
        }
        let passed = milestones.filter { step >= $0 }.count
        return baseRate * pow(factor, Double(passed))
    }
}
