import Datasets
import Foundation
import Imaging
import Tensor

/// One training run from data to deployable artifact (§3, §4): seeded shuffling and augmentation per
/// epoch, SGD with linear warm-up and cosine decay by step, validation after every epoch, the best
/// model by validation macro-recall (never the test split) written to `output`, a resume state after
/// every epoch, and finally one calibration temperature fitted on the validation split.
public final class TrainingRun {
    /// Where a run stands, reported after every step.
    public struct Progress {
        public let epoch: Int
        public let epochs: Int
        public let stepInEpoch: Int
        public let stepsPerEpoch: Int
        /// Running means of the loss terms over the epoch so far.
        public let loss: [String: Double]
        public let imagesPerSecond: Double
    }

    public let options: TrainingOptions
    public let dataSpec: String
    public let data: DataSplits
    /// Training images actually used (after `limitTrainPerClass`).
    public let train: ImageSet
    public let output: URL
    public let network: ReCAMENetwork
    public let mean: [Double]
    public let std: [Double]
    public let sourceCommit: String?
    public private(set) var epoch = 0
    public private(set) var step = 0
    public private(set) var history: [TrainingRecord] = []
    public private(set) var bestScore = -Double.infinity
    public private(set) var bestEpoch = 0
    public var onStep: ((Progress) -> Void)?
    /// Called after each epoch with its record and whether it became the best model.
    public var onEpoch: ((TrainingRecord, Bool) -> Void)?

    private let optimizer: SGD
    private let schedule: WarmupCosineSchedule
    private let objective: any TrainingObjective
    private let trainLoader: BatchLoader
    private let validationLoader: BatchLoader

    public var stateURL: URL { Self.stateURL(for: output) }

    /// Where a run writing `output` keeps its resumable state (`OUT.state.safetensors`).
    public static func stateURL(for output: URL) -> URL { TrainingState.url(for: output) }
    public var stepsPerEpoch: Int { Self.batchCount(images: train.count, batchSize: options.batchSize) }

    /// `objective` builds the loss from the training counts; the default is the ReCAME loss of
    /// `options.loss`, a student passes a `DistillationObjective`. `normalization` defaults to the training set's statistics.
    public init(
        options: TrainingOptions, data: DataSplits, dataSpec: String, output: URL, threads: Int = 1,
        normalization: (mean: [Double], std: [Double])? = nil,
        objective makeObjective: ((_ classCounts: [Int]) throws -> any TrainingObjective)? = nil,
        sourceCommit: String? = nil
    ) throws {
        try options.validate()
        let set = data.train
        guard (set.channels, set.height, set.width) == (options.channels, options.inputHeight, options.inputWidth)
        else {
            throw TrainingError.invalidData(
                "images are \(set.channels)×\(set.height)×\(set.width), the options say "
                    + "\(options.channels)×\(options.inputHeight)×\(options.inputWidth)")
        }
        guard data.validation.count > 0 else {
            throw TrainingError.invalidData("the validation split is empty; it chooses the best model")
        }
        self.options = options
        self.dataSpec = dataSpec
        self.data = data
        self.output = output
        self.sourceCommit = sourceCommit
        train = Self.limited(set, perClass: options.limitTrainPerClass)
        if let empty = train.classCounts.firstIndex(of: 0) {
            throw TrainingError.invalidData("class '\(train.classNames[empty])' has no training images")
        }
        guard train.count >= 2 else { throw TrainingError.invalidData("fewer than 2 training images") }
        let statistics = normalization ?? BatchLoader.statistics(of: train)
        mean = statistics.mean
        std = statistics.std
        trainLoader = try BatchLoader(images: train, mean: mean, std: std)
        validationLoader = try BatchLoader(images: data.validation, mean: mean, std: std)

        network = try ReCAMENetwork(
            architecture: options.architecture(classes: set.classNames.count), seed: options.seed)
        network.threads = threads
        var trainable = network.parameters
        if !options.regionalAttention {
            let frozen = try Self.disableAttention(network)
            trainable = trainable.filter { !frozen.contains(ObjectIdentifier($0)) }
        }
        optimizer = try SGD(
            parameters: trainable,
            configuration: SGDConfiguration(
                learningRate: options.learningRate, momentum: options.momentum, weightDecay: options.weightDecay))
        let steps = Self.batchCount(images: train.count, batchSize: options.batchSize)
        schedule = try WarmupCosineSchedule(
            baseRate: options.learningRate, warmupSteps: options.warmupEpochs * steps,
            totalSteps: options.epochs * steps)
        if let makeObjective {
            objective = try makeObjective(train.classCounts)
        } else {
            objective = try ReCAMEObjective(configuration: options.loss, classCounts: train.classCounts)
        }
    }

    /// Batches per epoch: the last partial batch is kept unless it has a single image (BatchNorm needs 2).
    static func batchCount(images: Int, batchSize: Int) -> Int {
        images / batchSize + (images % batchSize >= 2 ? 1 : 0)
    }

    static func limited(_ set: ImageSet, perClass limit: Int?) -> ImageSet {
        guard let limit else { return set }
        var taken = [Int](repeating: 0, count: set.classNames.count)
        return set.subset(
            set.labels.indices.filter { index in
                let label = set.labels[index]
                taken[label] += 1
                return taken[label] <= limit
            })
    }

    /// Makes every regional attention the identity, exactly: with fc2's weight 0 and bias 30 the gate is
    /// σ(60) = 1 in Float32 (and σ' = 0), whatever fc1 computes. The checkpoint keeps the §4 layout, so
    /// the fused inference path and PyTorch compute the same identity. Returns the parameters to freeze.
    static func disableAttention(_ network: ReCAMENetwork) throws -> Set<ObjectIdentifier> {
        var frozen = Set<ObjectIdentifier>()
        for expert in network.experts {
            for block in expert.stages.joined() {
                let fc2 = block.attention.fc2
                fc2.weight.value = Tensor(zeros: fc2.weight.value.shape)
                if let bias = fc2.bias { bias.value = Tensor(repeating: 30, shape: bias.value.shape) }
                for parameter in block.attention.parameters { frozen.insert(ObjectIdentifier(parameter)) }
            }
        }
        return frozen
    }

    /// The generator of epoch `epoch`'s shuffle and augmentation, derived from the seed alone.
    static func epochGenerator(seed: UInt64, epoch: Int) -> SeededGenerator {
        var mixer = SeededGenerator(seed: seed ^ (0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1)))
        return SeededGenerator(seed: mixer.next())
    }

    // MARK: - Resume

    /// Continues from `stateURL` when it exists (returns false when there is nothing to resume). The
    /// state must come from a run with the same options (threads aside) on the same split.
    @discardableResult
    public func resume() throws -> Bool {
        guard FileManager.default.fileExists(atPath: stateURL.path) else { return false }
        let (state, tensors, momentum) = try TrainingState.load(from: stateURL)
        guard state.options == options else {
            throw TrainingError.resume(
                "\(stateURL.path) was written with other options (\(Self.differences(state.options, options))); "
                    + "use the same flags, or remove the file to start afresh")
        }
        guard state.splitHash == data.splitHash, state.trainCounts == train.classCounts else {
            throw TrainingError.resume(
                "\(stateURL.path) was trained on another split (hash \(state.splitHash), now \(data.splitHash))")
        }
        if state.bestEpoch > 0 && !FileManager.default.fileExists(atPath: output.path) {
            throw TrainingError.resume("the best model of epoch \(state.bestEpoch) should be at \(output.path)")
        }
        try network.loadStateDictionary(tensors)
        var buffers = [Tensor?](repeating: nil, count: optimizer.parameters.count)
        for (index, tensor) in momentum {
            guard buffers.indices.contains(index), tensor.shape == optimizer.parameters[index].value.shape else {
                throw TrainingError.resume("momentum buffer \(index) does not fit this network")
            }
            buffers[index] = tensor
        }
        optimizer.momentumBuffers = buffers
        epoch = state.epoch
        step = state.step
        history = state.history
        bestScore = state.bestScore
        bestEpoch = state.bestEpoch
        return true
    }

    private static func differences(_ a: TrainingOptions, _ b: TrainingOptions) -> String {
        guard let left = try? a.json, let right = try? b.json,
            case .object(let x) = left, case .object(let y) = right
        else { return "unknown" }
        let keys = Set(x.keys).union(y.keys).filter { x[$0] != y[$0] }.sorted()
        return keys.map { "\($0): \(x[$0]?.serialized ?? "none") then, \(y[$0]?.serialized ?? "none") now" }
            .joined(separator: "; ")
    }

    // MARK: - Training

    /// Trains until `epochs` epochs are complete (all of them by default), saving the best model and
    /// the resume state after each epoch.
    public func train(untilEpoch target: Int? = nil) throws {
        let last = min(target ?? options.epochs, options.epochs)
        while epoch < last { try runEpoch() }
    }

    private func runEpoch() throws {
        let started = Date()
        var generator = Self.epochGenerator(seed: options.seed, epoch: epoch)
        var order = Array(0..<train.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, generator.nextInt(below: i + 1))
        }
        let policy = AugmentationPolicy(
            cropPadding: options.cropPadding, horizontalFlip: options.horizontalFlip,
            verticalFlip: options.verticalFlip,
            maxRotationDegrees: Float(options.maxRotationDegrees))
        var augmenter: Augmenter? = try Augmenter(policy: policy, seed: generator.next())
        let steps = stepsPerEpoch
        var sums = [String: Double]()
        var images = 0
        for index in 0..<steps {
            let members = order[(index * options.batchSize)..<min((index + 1) * options.batchSize, order.count)]
            let batch = try trainLoader.batch(members, augmenter: &augmenter)
            let labels = members.map { train.labels[$0] }
            optimizer.learningRate = schedule.learningRate(atStep: step)
            let outputs = try network.forward(batch, training: true)
            let result = try objective.evaluate(images: batch, outputs: outputs, labels: labels)
            guard let total = result.terms["total"], total.isFinite else {
                throw TensorError.invalidState(
                    "training loss is not finite at epoch \(epoch + 1), step \(step): \(result.terms)")
            }
            optimizer.zeroGradients()
            try network.backward(
                logitsGradients: result.logitsGradients, featuresGradients: result.featuresGradients)
            try optimizer.step()
            step += 1
            images += labels.count
            for (name, value) in result.terms { sums[name, default: 0] += value }
            if let onStep {
                onStep(
                    Progress(
                        epoch: epoch + 1, epochs: options.epochs, stepInEpoch: index + 1, stepsPerEpoch: steps,
                        loss: sums.mapValues { $0 / Double(index + 1) },
                        imagesPerSecond: Double(images) / max(Date().timeIntervalSince(started), 1e-9)))
            }
        }
        let trainSeconds = Date().timeIntervalSince(started)
        let validation = try Evaluator(
            model: try network.inferenceModel(), loader: validationLoader, parallelism: network.threads
        ).metrics(trainCounts: train.classCounts)
        let record = TrainingRecord(
            epoch: epoch + 1, learningRate: optimizer.learningRate,
            loss: sums.mapValues { $0 / Double(max(steps, 1)) }, validationAccuracy: validation.accuracy,
            validationMacroRecall: validation.balancedAccuracy,
            imagesPerSecond: Double(images) / max(trainSeconds, 1e-9), seconds: Date().timeIntervalSince(started))
        history.append(record)
        epoch += 1
        let improved = record.validationMacroRecall > bestScore
        if improved {
            bestScore = record.validationMacroRecall
            bestEpoch = epoch
            try network.checkpoint(configuration: try configuration(temperature: 1)).save(to: output)
        }
        let state = TrainingState(
            options: options, dataSpec: dataSpec, splitHash: data.splitHash, trainCounts: train.classCounts,
            epoch: epoch, step: step, history: history, bestScore: bestScore, bestEpoch: bestEpoch)
        try state.save(network: network, momentum: optimizer.momentumBuffers, to: stateURL)
        onEpoch?(record, improved)
    }

    // MARK: - Artifact

    /// The §4 configuration of this run's model, with its provenance in `training`.
    public func configuration(temperature: Double, calibration: [String: JSONValue] = [:]) throws
        -> ModelConfiguration
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var training: [String: JSONValue] = [
            "data": .string(dataSpec),
            "split_hash": .string(data.splitHash),
            "method": .string(options.method.rawValue),
            "epochs": .integer(Int64(options.epochs)),
            "epochs_completed": .integer(Int64(epoch)),
            "seed": .string(String(options.seed)),
            "loss_weights": try JSONValue.parse(try encoder.encode(options.loss)),
            "regional_attention": .bool(options.regionalAttention),
            "options": try options.json,
            "best_epoch": .integer(Int64(bestEpoch)),
            "best_validation_macro_recall": .number(bestScore.isFinite ? bestScore : 0),
            "history": try JSONValue.parse(try encoder.encode(history)),
        ]
        if let sourceCommit { training["source_commit"] = .string(sourceCommit) }
        for (key, value) in calibration { training[key] = value }
        return ModelConfiguration(
            kind: options.method == .distillation ? .student : .ensemble, depth: options.depth, widths: options.widths,
            experts: options.experts, classNames: train.classNames, inChannels: options.channels,
            inputSize: [options.inputHeight, options.inputWidth], mean: mean, std: std, temperature: temperature,
            trainCounts: train.classCounts, training: .object(training))
    }

    /// Loads the best model, fits the temperature on the validation split, and rewrites the artifact
    /// with it. Returns the final configuration (idempotent: the fit depends only on the weights).
    @discardableResult
    public func finish() throws -> (configuration: ModelConfiguration, nllBefore: Double, nllAfter: Double) {
        guard bestEpoch > 0 else { throw TrainingError.resume("no epoch has finished; nothing to calibrate") }
        let best = try Checkpoint.load(contentsOf: output)
        let model = try ReCAMENetwork(checkpoint: best).inferenceModel()
        let logits = try Evaluator(model: model, loader: validationLoader, parallelism: network.threads).logits()
        let fit = try TemperatureScaling.fit(logits: logits, labels: data.validation.labels)
        let configuration = try self.configuration(
            temperature: fit.temperature,
            calibration: [
                "calibration_split": .string("validation"), "nll_before": .number(fit.nllBefore),
                "nll_after": .number(fit.nllAfter),
            ])
        var checkpoint = best
        checkpoint.configuration = configuration
        try checkpoint.save(to: output)
        return (configuration, fit.nllBefore, fit.nllAfter)
    }
}
