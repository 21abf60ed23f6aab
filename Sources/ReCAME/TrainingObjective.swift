import Foundation
import Tensor

/// The loss a `TrainingRun` optimises: its value by term (for the logs) and the gradients with
/// respect to each expert's logits and features.
public protocol TrainingObjective {
    func evaluate(images: Tensor, outputs: [ExpertOutput], labels: [Int]) throws -> ObjectiveResult
}

public struct ObjectiveResult {
    /// Unweighted terms by name, plus `total` (the weighted sum that is optimised).
    public var terms: [String: Double]
    public var logitsGradients: [Tensor]
    public var featuresGradients: [Tensor?]
}

/// The ReCAME loss of §3 (or any ablation of it, including plain cross-entropy).
public struct ReCAMEObjective: TrainingObjective {
    public let loss: ReCAMELoss

    public init(configuration: LossConfiguration, classCounts: [Int]) throws {
        loss = try ReCAMELoss(configuration: configuration, classCounts: classCounts)
    }

    public func evaluate(images: Tensor, outputs: [ExpertOutput], labels: [Int]) throws -> ObjectiveResult {
        let result = try loss.evaluate(outputs: outputs, labels: labels)
        let terms = result.terms
        let config = loss.configuration
        var named: [String: Double] = ["total": terms.total]
        let ceName = config.logitAdjustment ? "balanced_ce" : "ce"
        if config.crossEntropyWeight > 0 { named[ceName] = terms.crossEntropy }
        if config.hardCategoryWeight > 0 { named["hcm_ce"] = terms.hardCategory }
        if config.contrastiveWeight > 0 || config.compactnessWeight > 0 {
            named["contrastive"] = terms.contrastive
            named["compactness"] = terms.compactness
        }
        if config.distillationWeight > 0 && outputs.count > 1 { named["nbod"] = terms.distillation }
        if config.hardCategoryDistillationWeight > 0 && outputs.count > 1 {
            named["nbod_hcm"] = terms.hardCategoryDistillation
        }
        return ObjectiveResult(
            terms: named, logitsGradients: result.logitsGradients, featuresGradients: result.featuresGradients)
    }
}

/// Knowledge distillation into a single backbone: weight · T² · KL(softmax(t / T) ‖ softmax(s / T))
/// against the teacher ensemble's mean logits t on the same (augmented) batch, plus balanced
/// cross-entropy CE(s + log n, y) on the labels.
public struct DistillationObjective: TrainingObjective {
    public let teacher: InferenceModel
    public let temperature: Double
    public let distillationWeight: Double
    public let crossEntropyWeight: Double
    private let logPrior: [Float]

    public init(
        teacher: InferenceModel, classCounts: [Int], temperature: Double, distillationWeight: Double,
        crossEntropyWeight: Double
    ) throws {
        guard temperature > 0, temperature.isFinite else {
            throw TrainingError.invalidOptions("distillation temperature must be positive, got \(temperature)")
        }
        guard distillationWeight >= 0, crossEntropyWeight >= 0, distillationWeight + crossEntropyWeight > 0 else {
            throw TrainingError.invalidOptions(
                "distillation weights must be ≥ 0 and not both 0, got \(distillationWeight), \(crossEntropyWeight)")
        }
        guard classCounts.count == teacher.architecture.classes, classCounts.allSatisfy({ $0 >= 1 }) else {
            throw TrainingError.invalidData(
                "distillation needs a positive training count for each of the teacher's "
                    + "\(teacher.architecture.classes) classes, got \(classCounts)")
        }
        self.teacher = teacher
        self.temperature = temperature
        self.distillationWeight = distillationWeight
        self.crossEntropyWeight = crossEntropyWeight
        logPrior = classCounts.map { Float(log(Double($0))) }
    }

    public func evaluate(images: Tensor, outputs: [ExpertOutput], labels: [Int]) throws -> ObjectiveResult {
        guard outputs.count == 1 else {
            throw TrainingError.invalidOptions("a distilled student has one backbone, got \(outputs.count) outputs")
        }
        let student = outputs[0].logits
        var gradient = Tensor(zeros: student.shape)
        var terms = [String: Double]()
        var total = 0.0
        if distillationWeight > 0 {
            let teacherLogits = try teacher.predict(images)
            let scale = Float(1 / temperature)
            let kl = try KLDivergence.lossAndGradients(
                targetLogits: teacherLogits.scaled(by: scale), inputLogits: student.scaled(by: scale))
            let t2 = temperature * temperature
            terms["kd"] = kl.loss
            total += distillationWeight * t2 * kl.loss
            // d/ds of T²·KL(·‖s/T) = T² · (1/T) · ∂KL/∂(s/T).
            try gradient.add(kl.inputGradient, scaledBy: Float(distillationWeight * temperature))
        }
        if crossEntropyWeight > 0 {
            var balanced = student
            let classes = logPrior.count
            balanced.withUnsafeMutableBufferPointer { z in
                for i in z.indices { z[i] += logPrior[i % classes] }
            }
            let (value, ceGradient) = try CrossEntropy.lossAndGradient(logits: balanced, labels: labels)
            terms["balanced_ce"] = value
            total += crossEntropyWeight * value
            try gradient.add(ceGradient, scaledBy: Float(crossEntropyWeight))
        }
        terms["total"] = total
        return ObjectiveResult(terms: terms, logitsGradients: [gradient], featuresGradients: [nil])
    }
}
