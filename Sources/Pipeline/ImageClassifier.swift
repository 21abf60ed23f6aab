import Foundation
import Imaging
import ReCAME
import Tensor

/// A registry model ready to classify preprocessed images: the folded network, its preprocessing
/// (size, channels, mean/std from the checkpoint), calibrated probabilities (softmax of the mean
/// logits over the temperature) and the review policy.
public final class ImageClassifier: @unchecked Sendable {
    public struct Result: Sendable {
        public let classIndex: Int
        public let confidence: Float
        public let probabilities: [Float]
        /// Fraction of experts whose own top class is the ensemble's.
        public let agreement: Float
    }

    public let version: String
    public let classNames: [String]
    public let preprocessor: Preprocessor
    public let policy: ClassPolicy
    public let temperature: Float
    private let predictor: ExpertPredictor

    public init(model: ModelRegistry.LoadedModel, classes policy: ClassPolicy) throws {
        let configuration = model.checkpoint.configuration
        version = model.version
        classNames = configuration.classNames
        temperature = Float(configuration.temperature)
        self.policy = policy
        preprocessor = try Preprocessor(
            height: configuration.inputSize[0], width: configuration.inputSize[1], channels: configuration.inChannels,
            mean: configuration.mean.map(Float.init), std: configuration.std.map(Float.init))
        predictor = ExpertPredictor(model: try ReCAMENetwork(checkpoint: model.checkpoint).inferenceModel())
    }

    public func needsReview(classIndex: Int, confidence: Float) -> Bool {
        policy.tail[classIndex] || confidence < policy.thresholds[classIndex]
    }

    /// Classifies `count` images laid out back to back in `inputs` (C×H×W each, normalised).
    public func classify(_ inputs: [Float], count: Int, threads: Int) throws -> [Result] {
        guard count > 0 else { return [] }
        let shape = [count, preprocessor.channels, preprocessor.height, preprocessor.width]
        let images = try Tensor(shape: shape, scalars: Array(inputs.prefix(count * preprocessor.elementCount)))
        let perExpert = try predictor.expertLogits(images, parallelism: threads)
        let experts = predictor.expertCount
        let classes = classNames.count
        let logits = perExpert.scalars
        var results = [Result]()
        results.reserveCapacity(count)
        var mean = [Float](repeating: 0, count: classes)
        for image in 0..<count {
            for c in 0..<classes { mean[c] = 0 }
            var votes = [Int](repeating: 0, count: classes)
            for k in 0..<experts {
                let row = (k * count + image) * classes
                var best = 0
                for c in 0..<classes {
                    mean[c] += logits[row + c] / Float(experts)
                    if logits[row + c] > logits[row + best] { best = c }
                }
                votes[best] += 1
            }
            let top = mean.indices.max { mean[$0] < mean[$1] }!
            let largest = mean[top] / temperature
            var probabilities = mean.map { Foundation.exp($0 / temperature - largest) }
            let total = probabilities.reduce(0, +)
            for c in 0..<classes { probabilities[c] /= total }
            results.append(
                Result(
                    classIndex: top, confidence: probabilities[top], probabilities: probabilities,
                    agreement: Float(votes[top]) / Float(experts)))
        }
        return results
    }
}
