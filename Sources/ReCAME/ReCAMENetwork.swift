import Dispatch
import Foundation
import Tensor

/// What one expert produced for a batch.
public struct ExpertOutput: Sendable {
    /// [N, classes], before any logit adjustment.
    public var logits: Tensor
    /// [N, F], the globally average-pooled features.
    public var features: Tensor

    public init(logits: Tensor, features: Tensor) {
        self.logits = logits
        self.features = features
    }
}

/// ReCAME-Net: K independent experts whose logits are averaged for prediction. This is the
/// training form (BatchNorm with batch statistics, everything kept for the backward pass); use
/// `inferenceModel()` for serving.
public final class ReCAMENetwork {
    public let architecture: NetworkArchitecture
    public let experts: [Expert]
    /// Threads for `forward` and `backward`: experts (independent until the loss) run side by side,
    /// and threads left over in a round split the convolutions of an expert (3 experts on 2
    /// threads: two experts, then the third on both threads). With more than one thread, OpenBLAS
    /// should run single-threaded (`ComputeSettings.setThreads(1)`) to avoid oversubscription.
    /// Results are deterministic for a given thread count; across counts they agree to rounding.
    public var threads: Int = 1 {
        didSet { threads = max(1, threads) }
    }
    private let entries: [StateEntry]

    /// Builds the network with seeded initialisation: the same seed gives the same weights.
    public init(architecture: NetworkArchitecture, seed: UInt64) throws {
        try architecture.validate()
        self.architecture = architecture
        var generator = SeededGenerator(seed: seed)
        var experts = [Expert]()
        for _ in 0..<architecture.experts {
            var expertGenerator = generator.fork()
            experts.append(try Expert(architecture: architecture, generator: &expertGenerator))
        }
        self.experts = experts
        entries = experts.enumerated().flatMap { $0.element.stateEntries(prefix: "experts.\($0.offset)") }
    }

    /// Every trainable parameter, in checkpoint order.
    public var parameters: [Parameter] { entries.compactMap(\.parameter) }

    /// Trainable tensors by checkpoint name (§4), e.g. `experts.0.layer2.0.rca.fc1.weight`.
    public func namedParameters() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: entries.filter { $0.parameter != nil }.map { ($0.name, $0.read()) })
    }

    /// The accumulated gradient of every trainable tensor, by checkpoint name (for gradient-norm
    /// logging and for checking against another implementation).
    public func namedGradients() -> [String: Tensor] {
        Dictionary(
            uniqueKeysWithValues: entries.compactMap { entry in entry.parameter.map { (entry.name, $0.gradient) } })
    }

    /// BatchNorm running statistics by checkpoint name (`….running_mean`, `….running_var`).
    public func namedBuffers() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: entries.filter { $0.parameter == nil }.map { ($0.name, $0.read()) })
    }

    /// Parameters and buffers together: everything a checkpoint holds.
    public func stateDictionary() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.read()) })
    }

    /// Every state name with its shape, in a stable order (checkpoint writers and validators).
    public func stateShapes() -> [(name: String, shape: [Int])] {
        entries.map { ($0.name, $0.read().shape) }
    }

    /// Replaces the state with `tensors`. Every expected name must be present with its shape, and
    /// no unknown name may appear; nothing is changed unless everything checks out.
    public func loadStateDictionary(_ tensors: [String: Tensor]) throws {
        var missing = [String]()
        for entry in entries {
            guard let tensor = tensors[entry.name] else {
                missing.append(entry.name)
                continue
            }
            let expected = entry.read().shape
            guard tensor.shape == expected else {
                throw TensorError.shapeMismatch(
                    "state \(entry.name): expected shape \(expected), got \(tensor.shape)")
            }
            guard tensor.isFinite else {
                throw TensorError.invalidArgument("state \(entry.name) holds non-finite values")
            }
        }
        if !missing.isEmpty {
            throw TensorError.invalidArgument(
                "state is missing \(missing.count) tensor(s): \(missing.prefix(5).joined(separator: ", "))")
        }
        let known = Set(entries.map(\.name))
        let unknown = tensors.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw TensorError.invalidArgument(
                "state has \(unknown.count) unexpected tensor(s): \(unknown.prefix(5).joined(separator: ", "))")
        }
        for entry in entries { entry.write(tensors[entry.name]!) }
    }

    func checkImages(_ images: Tensor) throws {
        try images.checkRank(4, "images")
        let expected = [architecture.inputChannels, architecture.inputHeight, architecture.inputWidth]
        guard Array(images.shape.dropFirst()) == expected, images.shape[0] > 0 else {
            throw TensorError.shapeMismatch(
                "images: expected [N, \(expected.map(String.init).joined(separator: ", "))] with N ≥ 1, "
                    + "got \(images.shape)")
        }
    }

    /// Every expert's logits and features. `training` selects batch statistics (and updates the
    /// running averages) or running statistics in BatchNorm.
    public func forward(_ images: Tensor, training: Bool) throws -> [ExpertOutput] {
        try checkImages(images)
        return try runExperts { _, expert in
            let (logits, features) = try expert.forward(images, training: training)
            return ExpertOutput(logits: logits, features: features)
        }
    }

    /// Applies `body` to every expert using up to `threads` threads, results in expert order.
    /// Experts run side by side, `threads` at a time; in a last round with fewer experts than
    /// threads (3 experts on 2 threads), the spare threads work inside each expert's convolutions.
    private func runExperts<R>(_ body: (Int, Expert) throws -> R) throws -> [R] {
        if threads <= 1 {
            for expert in experts { expert.workspace.threads = 1 }
            return try experts.enumerated().map { try body($0, $1) }
        }
        var results = [Result<R, Error>?](repeating: nil, count: experts.count)
        let lock = NSLock()
        let experts = self.experts
        var start = 0
        while start < experts.count {
            let round = min(threads, experts.count - start)
            let first = start
            for index in first..<(first + round) { experts[index].workspace.threads = max(1, threads / round) }
            withoutActuallyEscaping(body) { body in
                DispatchQueue.concurrentPerform(iterations: round) { offset in
                    let index = first + offset
                    let result = Result { try body(index, experts[index]) }
                    lock.lock()
                    results[index] = result
                    lock.unlock()
                }
            }
            start += round
        }
        return try results.map { try $0!.get() }
    }

    /// Back-propagates ∂L/∂logits (and optionally ∂L/∂features) of each expert from the last
    /// `forward`, accumulating parameter gradients.
    public func backward(logitsGradients: [Tensor], featuresGradients: [Tensor?]) throws {
        guard logitsGradients.count == experts.count, featuresGradients.count == experts.count else {
            throw TensorError.shapeMismatch(
                "backward: \(logitsGradients.count) logits and \(featuresGradients.count) feature gradients "
                    + "for \(experts.count) experts")
        }
        _ = try runExperts { index, expert in
            try expert.backward(
                logitsGradient: logitsGradients[index], featuresGradient: featuresGradients[index])
        }
    }

    /// The ensemble's logits (mean over experts) with the training-form layers, BatchNorm on
    /// running statistics. The fused `inferenceModel()` gives the same values faster.
    public func ensembleLogits(_ images: Tensor) throws -> Tensor {
        let outputs = try forward(images, training: false)
        var mean = outputs[0].logits
        for output in outputs.dropFirst() { try mean.add(output.logits) }
        return mean.scaled(by: 1 / Float(outputs.count))
    }

    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}
