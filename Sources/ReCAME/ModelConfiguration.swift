import Foundation
import Tensor

/// What a ReCAME-Net checkpoint is: the architecture, the classes, the input it expects, and how it was
/// made. Stored as the JSON string `config` in the checkpoint's safetensors metadata (ARCHITECTURE §4),
/// with snake_case field names shared with the PyTorch reference (bench/recame_torch.py).
///
/// Real numbers are `Double` because that is what JSON numbers are: the engine and PyTorch both round
/// the same Double to Float32, so the two sides agree bit for bit.
public struct ModelConfiguration: Equatable, Sendable {
    /// Whether the file holds the K-expert ensemble or the distilled single-backbone student.
    public enum Kind: String, CaseIterable, Sendable {
        case ensemble
        case student
    }

    /// The value of the metadata key `format` in every checkpoint of this contract.
    public static let format = "recame-1"
    /// Stage widths at width multiplier 1 (CIFAR ResNet).
    public static let baseWidths = [16, 32, 64]

    public var kind: Kind
    /// 6n + 2: n BasicBlocks in each of the three stages.
    public var depth: Int
    /// Channels of stages 1, 2, 3; the stem has `widths[0]` channels and the feature size is `widths[2]`.
    public var widths: [Int]
    public var experts: Int
    public var numClasses: Int
    public var classNames: [String]
    public var inChannels: Int
    /// [height, width] of the network input.
    public var inputSize: [Int]
    /// Per-channel normalization applied to the input image before the network.
    public var mean: [Double]
    public var std: [Double]
    public var bnEps: Double
    public var cosineScale: Double
    public var rcaReduction: Int
    public var rcaMinHidden: Int
    /// Calibration temperature: probabilities are softmax(mean logits / temperature).
    public var temperature: Double
    /// Training images per class, which define the Many/Medium/Few shot groups.
    public var trainCounts: [Int]?
    /// Free-form record of how the model was made (data spec, split hash, epochs, seed, loss weights,
    /// source commit); must be a JSON object when present.
    public var training: JSONValue?

    public init(
        kind: Kind = .ensemble, depth: Int = 20, widths: [Int] = ModelConfiguration.baseWidths, experts: Int = 3,
        classNames: [String], inChannels: Int = 1, inputSize: [Int] = [28, 28], mean: [Double], std: [Double],
        bnEps: Double = 1e-5, cosineScale: Double = 16, rcaReduction: Int = 16, rcaMinHidden: Int = 4,
        temperature: Double = 1, trainCounts: [Int]? = nil, training: JSONValue? = nil
    ) {
        self.kind = kind
        self.depth = depth
        self.widths = widths
        self.experts = experts
        self.numClasses = classNames.count
        self.classNames = classNames
        self.inChannels = inChannels
        self.inputSize = inputSize
        self.mean = mean
        self.std = std
        self.bnEps = bnEps
        self.cosineScale = cosineScale
        self.rcaReduction = rcaReduction
        self.rcaMinHidden = rcaMinHidden
        self.temperature = temperature
        self.trainCounts = trainCounts
        self.training = training
    }

    /// Stage widths for a width multiplier: each base width scaled and rounded, at least 1.
    public static func widths(multiplier: Double) -> [Int] {
        baseWidths.map { max(1, Int((Double($0) * multiplier).rounded())) }
    }

    /// BasicBlocks per stage.
    public var blocksPerStage: Int { (depth - 2) / 6 }
    /// Size of each expert's pooled feature, the classifier's input.
    public var featureSize: Int { widths[2] }

    /// Checks every field and throws a `ModelConfigurationError` naming the first one that is wrong.
    public func validate() throws {
        func fail(_ field: String, _ problem: String) -> ModelConfigurationError {
            ModelConfigurationError(field: field, problem: problem)
        }
        guard depth >= 8, (depth - 2) % 6 == 0 else {
            throw fail("depth", "must be 6n + 2 with n ≥ 1 (8, 14, 20, 32, 44, 56, …), got \(depth)")
        }
        guard widths.count == 3 else { throw fail("widths", "must list 3 stage widths, got \(widths.count)") }
        if let bad = widths.first(where: { $0 < 1 }) { throw fail("widths", "must be positive, got \(bad)") }
        guard experts >= 1 else { throw fail("experts", "must be at least 1, got \(experts)") }
        if kind == .student, experts != 1 {
            throw fail("experts", "a student has exactly 1 backbone, got \(experts)")
        }
        guard numClasses >= 2 else { throw fail("num_classes", "must be at least 2, got \(numClasses)") }
        guard classNames.count == numClasses else {
            throw fail("class_names", "has \(classNames.count) names but num_classes is \(numClasses)")
        }
        if classNames.contains(where: { $0.isEmpty }) { throw fail("class_names", "contains an empty name") }
        if let repeated = firstRepeated(classNames) { throw fail("class_names", "names '\(repeated)' twice") }
        guard inChannels >= 1 else { throw fail("in_channels", "must be at least 1, got \(inChannels)") }
        guard inputSize.count == 2 else {
            throw fail("input_size", "must be [height, width], got \(inputSize.count) values")
        }
        // Two stride-2 stages shrink the map to ⌈⌈H/2⌉/2⌉; RCA's 2×2 grid needs at least 2 rows and
        // columns there, or a quadrant would be empty.
        if let small = inputSize.first(where: { $0 < 5 }) {
            throw fail(
                "input_size", "each side must be at least 5 so every stage's map splits into 4 quadrants, got \(small)")
        }
        guard mean.count == inChannels else {
            throw fail("mean", "has \(mean.count) values but in_channels is \(inChannels)")
        }
        if mean.contains(where: { !$0.isFinite }) { throw fail("mean", "must be finite") }
        guard std.count == inChannels else {
            throw fail("std", "has \(std.count) values but in_channels is \(inChannels)")
        }
        if let bad = std.first(where: { !($0 > 0 && $0.isFinite) }) {
            throw fail("std", "must be positive, got \(bad)")
        }
        guard bnEps > 0, bnEps.isFinite else { throw fail("bn_eps", "must be positive, got \(bnEps)") }
        guard cosineScale > 0, cosineScale.isFinite else {
            throw fail("cosine_scale", "must be positive, got \(cosineScale)")
        }
        guard rcaReduction >= 1 else { throw fail("rca_reduction", "must be at least 1, got \(rcaReduction)") }
        guard rcaMinHidden >= 1 else { throw fail("rca_min_hidden", "must be at least 1, got \(rcaMinHidden)") }
        guard temperature > 0, temperature.isFinite else {
            throw fail("temperature", "must be positive, got \(temperature)")
        }
        if let trainCounts {
            guard trainCounts.count == numClasses else {
                throw fail("train_counts", "has \(trainCounts.count) counts but num_classes is \(numClasses)")
            }
            if let bad = trainCounts.first(where: { $0 < 0 }) {
                throw fail("train_counts", "must not be negative, got \(bad)")
            }
        }
        if let training, case .object = training {
        } else if let training {
            throw fail("training", "must be an object, got \(training.kindDescription)")
        }
    }

    private func firstRepeated(_ names: [String]) -> String? {
        var seen = Set<String>()
        return names.first { !seen.insert($0).inserted }
    }
}

/// A configuration field that is missing, of the wrong type, or out of range.
public struct ModelConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The JSON field name (snake_case, as in the checkpoint).
    public let field: String
    public let problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "config field '\(field)' \(problem)" }
}
