/// The weights of the ReCAME loss (§3). A weight of 0 switches its term off entirely (it is
/// neither computed nor back-propagated), which is how ablations are expressed.
public struct LossConfiguration: Sendable, Equatable, Codable {
    /// Balanced softmax: add log n_c to the logits before every softmax (off = plain logits).
    public var logitAdjustment: Bool
    public var crossEntropyWeight: Double
    public var hardCategoryWeight: Double
    /// N of hard category mining; the mask keeps min(N, classes) classes.
    public var hardCategoryClasses: Int
    public var contrastiveWeight: Double
    public var contrastiveMargin: Double
    public var compactnessWeight: Double
    public var distillationWeight: Double
    public var hardCategoryDistillationWeight: Double

    public init(
        logitAdjustment: Bool = true, crossEntropyWeight: Double = 1, hardCategoryWeight: Double = 1,
        hardCategoryClasses: Int = 9, contrastiveWeight: Double = 0.05, contrastiveMargin: Double = 20,
        compactnessWeight: Double = 0.05 * 0.0125, distillationWeight: Double = 0.6,
        hardCategoryDistillationWeight: Double = 0.6
    ) {
        self.logitAdjustment = logitAdjustment
        self.crossEntropyWeight = crossEntropyWeight
        self.hardCategoryWeight = hardCategoryWeight
        self.hardCategoryClasses = hardCategoryClasses
        self.contrastiveWeight = contrastiveWeight
        self.contrastiveMargin = contrastiveMargin
        self.compactnessWeight = compactnessWeight
        self.distillationWeight = distillationWeight
        self.hardCategoryDistillationWeight = hardCategoryDistillationWeight
    }

    /// The paper's full loss.
    public static let paper = LossConfiguration()

    /// Plain cross-entropy on each expert, nothing else (the `--baseline ce` ablation).
    public static let crossEntropyOnly = LossConfiguration(
        logitAdjustment: false, hardCategoryWeight: 0, contrastiveWeight: 0, compactnessWeight: 0,
        distillationWeight: 0, hardCategoryDistillationWeight: 0)

    public func validate() throws {
        let weights = [
            ("cross_entropy", crossEntropyWeight), ("hcm", hardCategoryWeight),
            ("contrastive", contrastiveWeight), ("contrastive_margin", contrastiveMargin),
            ("compactness", compactnessWeight), ("nbod", distillationWeight),
            ("nbod_hcm", hardCategoryDistillationWeight),
        ]
        for (name, value) in weights where !(value >= 0 && value.isFinite) {
            throw LossError.invalidConfiguration("loss weight \(name) must be finite and ≥ 0, got \(value)")
        }
        guard hardCategoryClasses >= 1 else {
            throw LossError.invalidConfiguration(
                "hcm classes must be at least 1, got \(hardCategoryClasses)")
        }
    }
}

/// Errors of the loss: bad configuration or inputs that do not fit it.
public enum LossError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message): return "invalid loss configuration: \(message)"
        case .invalidInput(let message): return "invalid loss input: \(message)"
        }
    }
}

/// The value of each loss term for one batch, for logging. Term values are unweighted and summed
/// over experts where the term is per expert; `total` is the weighted sum that is optimised.
public struct LossTerms: Sendable, Equatable, Codable {
    public var crossEntropy: Double = 0
    public var hardCategory: Double = 0
    public var contrastive: Double = 0
    public var compactness: Double = 0
    public var distillation: Double = 0
    public var hardCategoryDistillation: Double = 0
    public var total: Double = 0

    public init() {}
}
