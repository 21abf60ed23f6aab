import Foundation
import Tensor

/// The ReCAME training loss of §3 with its gradients:
///
/// - balanced softmax CE(z_k + log n, y) for every expert;
/// - hard category mining: a 0/1 mask of the top min(N, C) classes of expert 0's raw logits with
///   the true class forced in; CE((z_k + log n) ⊙ m, y) for every expert (masked-out logits
///   become 0, as in the reference code, not −∞);
/// - contrastive Σ_{i<j} [y_i = y_j] d_ij + [y_i ≠ y_j] max(0, margin − d_ij) and compactness
///   Σ_{i<j, y_i = y_j} d_ij on each expert's pooled features, each divided by B²;
/// - NBOD: (1/(K−1)) Σ_{i≠j} KL(softmax(z_j) ‖ softmax(z_i)), batch mean, on the balanced logits
///   and on the masked balanced logits, gradients flowing through both sides.
public struct ReCAMELoss: Sendable {
    public let configuration: LossConfiguration
    public let classCounts: [Int]
    private let logPrior: [Float]

    /// `classCounts` are the per-class training counts n_c (all ≥ 1 when logit adjustment is on).
    public init(configuration: LossConfiguration, classCounts: [Int]) throws {
        try configuration.validate()
        guard classCounts.count >= 2 else {
            throw LossError.invalidConfiguration(
                "class counts must cover at least 2 classes, got \(classCounts.count)")
        }
        if configuration.logitAdjustment, let bad = classCounts.firstIndex(where: { $0 < 1 }) {
            throw LossError.invalidConfiguration(
                "balanced softmax needs every class count ≥ 1; class \(bad) has \(classCounts[bad])")
        }
        self.configuration = configuration
        self.classCounts = classCounts
        logPrior = classCounts.map { configuration.logitAdjustment ? Float(log(Double($0))) : 0 }
    }

    /// The loss terms and the gradients of the total with respect to each expert's logits and
    /// features (nil where no term touches the features).
    public func evaluate(outputs: [ExpertOutput], labels: [Int]) throws -> (
        terms: LossTerms, logitsGradients: [Tensor], featuresGradients: [Tensor?]
    ) {
        let experts = outputs.count
        guard experts >= 1 else { throw LossError.invalidInput("no expert outputs") }
        let classes = classCounts.count
        let batch = labels.count
        for (k, output) in outputs.enumerated() {
            guard output.logits.shape == [batch, classes] else {
                throw LossError.invalidInput(
                    "expert \(k) logits have shape \(output.logits.shape), expected [\(batch), \(classes)]")
            }
            guard output.features.rank == 2, output.features.shape[0] == batch else {
                throw LossError.invalidInput(
                    "expert \(k) features have shape \(output.features.shape) for a batch of \(batch)")
            }
        }
        guard batch > 0 else { throw LossError.invalidInput("empty batch") }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
            throw LossError.invalidInput("label \(labels[bad]) at \(bad) is outside 0..<\(classes)")
        }
        let config = configuration
        var terms = LossTerms()
        var logitsGradients = outputs.map { Tensor(zeros: $0.logits.shape) }
        var featuresGradients = [Tensor?](repeating: nil, count: experts)

        let balanced = outputs.map { adjusted($0.logits) }
        let needsMask = config.hardCategoryWeight > 0 || config.hardCategoryDistillationWeight > 0
        let mask = needsMask ? hardCategoryMask(outputs[0].logits, labels: labels) : []
        let masked = needsMask ? balanced.map { applying(mask, to: $0) } : []

        for k in 0..<experts {
            if config.crossEntropyWeight > 0 {
                let (value, gradient) = try CrossEntropy.lossAndGradient(logits: balanced[k], labels: labels)
                terms.crossEntropy += value
                try logitsGradients[k].add(gradient, scaledBy: Float(config.crossEntropyWeight))
            }
            if config.hardCategoryWeight > 0 {
                let (value, gradient) = try CrossEntropy.lossAndGradient(logits: masked[k], labels: labels)
                terms.hardCategory += value
                try logitsGradients[k].add(applying(mask, to: gradient), scaledBy: Float(config.hardCategoryWeight))
            }
            if config.contrastiveWeight > 0 || config.compactnessWeight > 0 {
                let metric = try metricTerms(features: outputs[k].features, labels: labels)
                terms.contrastive += metric.contrastive
                terms.compactness += metric.compactness
                featuresGradients[k] = metric.gradient
            }
        }
        if config.distillationWeight > 0 && experts > 1 {
            let (value, gradients) = try distillation(balanced)
            terms.distillation = value
            for k in 0..<experts {
                try logitsGradients[k].add(gradients[k], scaledBy: Float(config.distillationWeight))
            }
        }
        if config.hardCategoryDistillationWeight > 0 && experts > 1 {
            let (value, gradients) = try distillation(masked)
            terms.hardCategoryDistillation = value
            for k in 0..<experts {
                try logitsGradients[k].add(
                    applying(mask, to: gradients[k]), scaledBy: Float(config.hardCategoryDistillationWeight))
            }
        }
        terms.total =
            config.crossEntropyWeight * terms.crossEntropy + config.hardCategoryWeight * terms.hardCategory
            + config.contrastiveWeight * terms.contrastive + config.compactnessWeight * terms.compactness
            + config.distillationWeight * terms.distillation
            + config.hardCategoryDistillationWeight * terms.hardCategoryDistillation
        return (terms, logitsGradients, featuresGradients)
    }

    private func adjusted(_ logits: Tensor) -> Tensor {
        guard configuration.logitAdjustment else { return logits }
        var result = logits
        let classes = logPrior.count
        result.withUnsafeMutableBufferPointer { z in
            for i in z.indices { z[i] += logPrior[i % classes] }
        }
        return result
    }

    /// 1 for the top min(N, C) classes of each row with the true class placed first, else 0.
    /// Ties keep the lower class index first.
    func hardCategoryMask(_ logits: Tensor, labels: [Int]) -> [Float] {
        let classes = logits.shape[1]
        let keep = min(configuration.hardCategoryClasses, classes)
        var mask = [Float](repeating: 0, count: logits.count)
        for (n, label) in labels.enumerated() {
            let row = (0..<classes).map { logits[flat: n * classes + $0] }
            let order = (0..<classes).filter { $0 != label }.sorted {
                row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1)
            }
            mask[n * classes + label] = 1
            for c in order.prefix(keep - 1) { mask[n * classes + c] = 1 }
        }
        return mask
    }

    private func applying(_ mask: [Float], to tensor: Tensor) -> Tensor {
        var result = tensor
        result.withUnsafeMutableBufferPointer { z in
            for i in z.indices { z[i] *= mask[i] }
        }
        return result
    }

    private func metricTerms(features: Tensor, labels: [Int]) throws -> (
        contrastive: Double, compactness: Double, gradient: Tensor
    ) {
        let batch = labels.count
        let distances = try PairwiseDistance.distances(features)
        var distanceGradient = Tensor(zeros: [batch, batch])
        let normalizer = Double(batch * batch)
        let margin = configuration.contrastiveMargin
        let contrastiveScale = Float(configuration.contrastiveWeight / normalizer)
        let compactnessScale = Float(configuration.compactnessWeight / normalizer)
        var contrastive = 0.0
        var compactness = 0.0
        for i in 0..<batch {
            for j in (i + 1)..<batch {
                let d = Double(distances[flat: i * batch + j])
                var gradient: Float = 0
                if labels[i] == labels[j] {
                    contrastive += d
                    compactness += d
                    gradient = contrastiveScale + compactnessScale
                } else if d < margin {
                    contrastive += margin - d
                    gradient = -contrastiveScale
                }
                distanceGradient[flat: i * batch + j] = gradient
            }
        }
        let featureGradient = try PairwiseDistance.backward(
            features: features, distances: distances, distanceGradient: distanceGradient)
        return (contrastive / normalizer, compactness / normalizer, featureGradient)
    }

    /// (1/(K−1)) Σ_{i≠j} KL(softmax(L_j) ‖ softmax(L_i)) and its gradient for each L_k.
    private func distillation(_ logits: [Tensor]) throws -> (Double, [Tensor]) {
        let experts = logits.count
        var gradients = logits.map { Tensor(zeros: $0.shape) }
        var total = 0.0
        let scale = 1 / Float(experts - 1)
        for i in 0..<experts {
            for j in 0..<experts where i != j {
                let kl = try KLDivergence.lossAndGradients(targetLogits: logits[j], inputLogits: logits[i])
                total += kl.loss
                try gradients[j].add(kl.targetGradient, scaledBy: scale)
                try gradients[i].add(kl.inputGradient, scaledBy: scale)
            }
        }
        return (total / Double(experts - 1), gradients)
    }
}
