import Foundation
import Tensor

/// Everything that decides what a training run computes: the network, the objective, the schedule,
/// augmentation and the seed. Two runs with equal options on the same data give the same weights (for a
/// given thread count), which is what makes `--resume` exact; the options travel in the resume state
/// and in the artifact's `training` metadata.
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// How the network is trained.
    public enum Method: String, Codable, Sendable {
        /// ReCAME-Net: K experts and the loss of §3 (with whatever ablation switches are set).
        case recame
        /// One backbone, plain cross-entropy: the baseline every result is compared with.
        case baselineCrossEntropy = "baseline-ce"
        /// A single-backbone student trained on a teacher ensemble's soft labels plus balanced CE.
        case distillation = "distill"
    }

    /// How a student learns from its teacher (method `distill`).
    public struct Distillation: Codable, Equatable, Sendable {
        /// Where the teacher came from (recorded, not read, by the run).
        public var teacher: String
        public var temperature: Double
        public var weight: Double
        public var crossEntropyWeight: Double

        public init(teacher: String, temperature: Double = 2, weight: Double = 1, crossEntropyWeight: Double = 1) {
            self.teacher = teacher
            self.temperature = temperature
            self.weight = weight
            self.crossEntropyWeight = crossEntropyWeight
        }
    }

    public var method: Method
    public var depth: Int
    public var widthMultiplier: Double
    public var experts: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var channels: Int
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var momentum: Double
    public var warmupEpochs: Int
    public var weightDecay: Double
    public var loss: LossConfiguration
    /// Regional channel attention; off replaces every attention with the identity (see `TrainingRun`).
    public var regionalAttention: Bool
    public var cropPadding: Int
    public var horizontalFlip: Bool
    public var verticalFlip: Bool
    public var maxRotationDegrees: Double
    public var seed: UInt64
    /// Use only the first N training images of each class (smoke tests); nil: all.
    public var limitTrainPerClass: Int?
    public var distillation: Distillation?

    public init(
        method: Method = .recame, depth: Int = 20, widthMultiplier: Double = 1, experts: Int = 3,
        inputHeight: Int = 28, inputWidth: Int = 28, channels: Int = 1, epochs: Int = 30, batchSize: Int = 128,
        learningRate: Double = 0.1, momentum: Double = 0.9, warmupEpochs: Int = 1, weightDecay: Double = 5e-4,
        loss: LossConfiguration = .paper, regionalAttention: Bool = true, cropPadding: Int = 2,
        horizontalFlip: Bool = true, verticalFlip: Bool = true, maxRotationDegrees: Double = 0, seed: UInt64 = 1,
        limitTrainPerClass: Int? = nil,
        distillation: Distillation? = nil
    ) {
        self.method = method
        self.depth = depth
        self.widthMultiplier = widthMultiplier
        self.experts = experts
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.channels = channels
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.warmupEpochs = warmupEpochs
        self.weightDecay = weightDecay
        self.loss = loss
        self.regionalAttention = regionalAttention
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
        self.verticalFlip = verticalFlip
        self.maxRotationDegrees = maxRotationDegrees
        self.seed = seed
        self.limitTrainPerClass = limitTrainPerClass
        self.distillation = distillation
    }

    /// The options of the `--baseline ce` run that matches these: same schedule, one backbone, plain CE.
    public var crossEntropyBaseline: TrainingOptions {
        var baseline = self
        baseline.method = .baselineCrossEntropy
        baseline.experts = 1
        baseline.loss = .crossEntropyOnly
        return baseline
    }

    public var widths: [Int] { NetworkArchitecture.widths(multiplier: widthMultiplier) }

    public func architecture(classes: Int) -> NetworkArchitecture {
        NetworkArchitecture(
            depth: depth, widths: widths, experts: experts, classes: classes, inputChannels: channels,
            inputHeight: inputHeight, inputWidth: inputWidth)
    }

    /// Throws naming the first option that cannot work.
    public func validate() throws {
        func fail(_ message: String) -> TrainingError { TrainingError.invalidOptions(message) }
        guard epochs >= 1 else { throw fail("epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 2 else { throw fail("batch size must be at least 2 (BatchNorm), got \(batchSize)") }
        guard learningRate > 0, learningRate.isFinite else {
            throw fail("learning rate must be positive, got \(learningRate)")
        }
        guard warmupEpochs >= 0, warmupEpochs < epochs else {
            throw fail("warm-up epochs must be in 0..<epochs (\(epochs)), got \(warmupEpochs)")
        }
        guard widthMultiplier > 0, widthMultiplier.isFinite, widthMultiplier <= 16 else {
            throw fail("width multiplier must be in (0, 16], got \(widthMultiplier)")
        }
        guard cropPadding >= 0, cropPadding <= 64 else {
            throw fail("crop padding must be in 0...64, got \(cropPadding)")
        }
        guard (0...180).contains(maxRotationDegrees) else {
            throw fail("rotation must be in 0...180 degrees, got \(maxRotationDegrees)")
        }
        if let limit = limitTrainPerClass, limit < 1 {
            throw fail("train limit per class must be at least 1, got \(limit)")
        }
        if method != .recame && experts != 1 {
            throw fail("method \(method.rawValue) trains one backbone, got \(experts) experts")
        }
        if (method == .distillation) != (distillation != nil) {
            throw fail("distillation settings go with method distill and only with it")
        }
        try loss.validate()
        try architecture(classes: 2).validate()
    }

    /// The options as a JSON object (for the artifact's `training` metadata).
    public var json: JSONValue {
        get throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try JSONValue.parse(try encoder.encode(self))
        }
    }
}

/// Why training could not start or continue.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidOptions(String)
    case invalidData(String)
    case resume(String)

    public var description: String {
        switch self {
        case .invalidOptions(let message): return "invalid training options: \(message)"
        case .invalidData(let message): return "training data: \(message)"
        case .resume(let message): return "cannot resume: \(message)"
        }
    }
}
