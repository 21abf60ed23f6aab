import Datasets
import Foundation
import Tensor

/// Runs a model over a labelled image set and measures it.
public struct Evaluator {
    public let model: InferenceModel
    public let loader: BatchLoader
    public var batchSize: Int
    public var parallelism: Int

    public init(model: InferenceModel, loader: BatchLoader, batchSize: Int = 256, parallelism: Int = 1) {
        self.model = model
        self.loader = loader
        self.batchSize = max(1, batchSize)
        self.parallelism = max(1, parallelism)
    }

    /// Mean expert logits of every image, [N, classes] (no temperature).
    public func logits() throws -> Tensor {
        let images = loader.images
        guard images.count > 0 else { throw TrainingError.invalidData("cannot evaluate an empty image set") }
        let classes = model.architecture.classes
        var all = [Float]()
        all.reserveCapacity(images.count * classes)
        var start = 0
        while start < images.count {
            let end = min(start + batchSize, images.count)
            let logits = try model.predict(try loader.batch(start..<end), parallelism: parallelism)
            all += logits.scalars
            start = end
        }
        return try Tensor(shape: [images.count, classes], scalars: all)
    }

    /// The confusion-matrix metrics of the model's top-1 predictions.
    public func metrics(trainCounts: [Int]?) throws -> ClassificationMetrics {
        try Self.metrics(
            logits: try logits(), labels: loader.images.labels, classNames: loader.images.classNames,
            trainCounts: trainCounts)
    }

    public static func metrics(logits: Tensor, labels: [Int], classNames: [String], trainCounts: [Int]?) throws
        -> ClassificationMetrics
    {
        guard logits.rank == 2, logits.shape[0] == labels.count, logits.shape[1] == classNames.count else {
            throw TrainingError.invalidData(
                "\(labels.count) labels and \(classNames.count) classes for logits of shape \(logits.shape)")
        }
        if let trainCounts, trainCounts.count != classNames.count {
            throw TrainingError.invalidData(
                "\(trainCounts.count) training counts for \(classNames.count) classes")
        }
        return ClassificationMetrics(
            classNames: classNames, truth: labels, predicted: predictions(logits), trainCounts: trainCounts)
    }

    /// The arg-max of each row (the lowest index on ties).
    public static func predictions(_ logits: Tensor) -> [Int] {
        let classes = logits.shape[1]
        return logits.withUnsafeBufferPointer { z in
            (0..<logits.shape[0]).map { row in
                var best = 0
                for c in 1..<classes where z[row * classes + c] > z[row * classes + best] { best = c }
                return best
            }
        }
    }
}
