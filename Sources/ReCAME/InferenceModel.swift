import Dispatch
import Foundation
import Tensor

/// Buffers one inference thread reuses from batch to batch: after the first batch of a given size,
/// prediction allocates nothing but its result.
final class InferenceScratch {
    var input = Tensor(zeros: [0])
    var current = Tensor(zeros: [0])
    var next = Tensor(zeros: [0])
    var inner = Tensor(zeros: [0])
    var main = Tensor(zeros: [0])
    var shortcut = Tensor(zeros: [0])
    var pooled = Tensor(zeros: [0])
    var hidden = Tensor(zeros: [0])
    var mixed = Tensor(zeros: [0])
    var features = Tensor(zeros: [0])
    var logits = Tensor(zeros: [0])
    let convolution = ConvolutionWorkspace()
}

/// One expert with BatchNorm folded into its convolutions and the attention fused.
struct FusedExpert: Sendable {
    struct Block: Sendable {
        let conv1: FusedConvolution
        let conv2: FusedConvolution
        let shortcut: FusedConvolution?
        let attention: FusedAttention
    }

    let stem: FusedConvolution
    let blocks: [Block]
    /// Class weights normalised to unit length and multiplied by the cosine scale, [classes, F].
    let classifierWeight: Tensor
    let classifierBias: Tensor

    init(_ expert: Expert) throws {
        stem = try FusedConvolution(folding: expert.stem, into: expert.stemBN, relu: true)
        blocks = try expert.stages.joined().map { block in
            Block(
                conv1: try FusedConvolution(folding: block.conv1, into: block.bn1, relu: true),
                conv2: try FusedConvolution(folding: block.conv2, into: block.bn2, relu: false),
                shortcut: try block.shortcutConv.map {
                    try FusedConvolution(folding: $0, into: block.shortcutBN!, relu: false)
                },
                attention: FusedAttention(block.attention))
        }
        let classifier = expert.classifier
        var weight = try L2Normalization().forward(classifier.weight.value, training: false)
        weight = weight.scaled(by: classifier.scale)
        classifierWeight = weight
        classifierBias = classifier.bias.value
    }

    /// Adds this expert's logits for `images` into `sum` ([N, classes]).
    func accumulateLogits(_ images: Tensor, into sum: UnsafeMutableBufferPointer<Float>, scratch: InferenceScratch)
        throws
    {
        try stem.apply(images, into: &scratch.current, workspace: scratch.convolution)
        for block in blocks {
            try block.conv1.apply(scratch.current, into: &scratch.inner, workspace: scratch.convolution)
            try block.conv2.apply(scratch.inner, into: &scratch.main, workspace: scratch.convolution)
            if let shortcut = block.shortcut {
                try shortcut.apply(scratch.current, into: &scratch.shortcut, workspace: scratch.convolution)
                try block.attention.apply(
                    main: scratch.main, shortcut: scratch.shortcut, into: &scratch.next, scratch: scratch)
            } else {
                try block.attention.apply(
                    main: scratch.main, shortcut: scratch.current, into: &scratch.next, scratch: scratch)
            }
            swap(&scratch.current, &scratch.next)
        }
        let shape = scratch.current.shape
        let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        scratch.features.resize(to: [batch, channels])
        scratch.current.withUnsafeBufferPointer { x in
            scratch.features.withUnsafeMutableBufferPointer { f in
                for n in 0..<batch {
                    var squares: Float = 0
                    for c in 0..<channels {
                        let row = x.baseAddress! + (n * channels + c) * plane
                        let mean = VectorMath.sum(row, count: plane) / Float(plane)
                        f[n * channels + c] = mean
                        squares += mean * mean
                    }
                    // Same floor as the training path's L2 normalisation.
                    let norm = max(squares.squareRoot(), 1e-12)
                    for c in 0..<channels { f[n * channels + c] /= norm }
                }
            }
        }
        try Linear.apply(input: scratch.features, weight: classifierWeight, bias: classifierBias, into: &scratch.logits)
        scratch.logits.withUnsafeBufferPointer { z in
            for i in z.indices { sum[i] += z[i] }
        }
    }
}

/// The deployed form of a ReCAME-Net: BatchNorm folded into the convolutions, attention fused
/// with the residual add, buffers reused between batches. Prediction is the mean of the experts'
/// logits; probabilities are softmax(mean / T).
///
/// Calls are serialised by a lock (the buffers are shared); `parallelism` > 1 splits each batch
/// across that many threads, each with its own buffers.
public final class InferenceModel: @unchecked Sendable {
    public let architecture: NetworkArchitecture
    let experts: [FusedExpert]
    private var scratches: [InferenceScratch] = []
    private let lock = NSLock()

    public init(network: ReCAMENetwork) throws {
        architecture = network.architecture
        experts = try network.experts.map(FusedExpert.init)
    }

    /// Mean expert logits, [N, classes], for images [N, C, H, W] of the architecture's size.
    public func predict(_ images: Tensor, parallelism: Int = 1) throws -> Tensor {
        let expected = [architecture.inputChannels, architecture.inputHeight, architecture.inputWidth]
        guard images.rank == 4, Array(images.shape.dropFirst()) == expected else {
            throw TensorError.shapeMismatch(
                "images: expected [N, \(expected.map(String.init).joined(separator: ", "))], got \(images.shape)")
        }
        guard (1...256).contains(parallelism) else {
            throw TensorError.invalidArgument("parallelism must be between 1 and 256, got \(parallelism)")
        }
        let batch = images.shape[0]
        let classes = architecture.classes
        var result = Tensor(zeros: [batch, classes])
        if batch == 0 { return result }
        lock.lock()
        defer { lock.unlock() }
        let chunks = min(parallelism, batch)
        while scratches.count < chunks { scratches.append(InferenceScratch()) }
        let imageSize = expected.reduce(1, *)
        var failure: Error?
        let failureLock = NSLock()
        try result.withUnsafeMutableBufferPointer { output in
            let outputBase = output.baseAddress!
            if chunks == 1 {
                for expert in experts {
                    try expert.accumulateLogits(images, into: output, scratch: scratches[0])
                }
                return
            }
            let scratches = self.scratches
            let experts = self.experts
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = chunk * batch / chunks
                let end = (chunk + 1) * batch / chunks
                let scratch = scratches[chunk]
                do {
                    scratch.input.resize(to: [end - start] + expected)
                    scratch.input.withUnsafeMutableBufferPointer { target in
                        images.withUnsafeBufferPointer { source in
                            target.baseAddress!.update(
                                from: source.baseAddress! + start * imageSize, count: (end - start) * imageSize)
                        }
                    }
                    let slice = UnsafeMutableBufferPointer(
                        start: outputBase + start * classes, count: (end - start) * classes)
                    for expert in experts {
                        try expert.accumulateLogits(scratch.input, into: slice, scratch: scratch)
                    }
                } catch {
                    failureLock.lock()
                    failure = failure ?? error
                    failureLock.unlock()
                }
            }
        }
        if let failure { throw failure }
        return result.scaled(by: 1 / Float(experts.count))
    }

    /// softmax(mean logits / temperature), [N, classes].
    public func probabilities(_ images: Tensor, temperature: Float = 1, parallelism: Int = 1) throws -> Tensor {
        guard temperature > 0, temperature.isFinite else {
            throw TensorError.invalidArgument("temperature must be positive and finite, got \(temperature)")
        }
        let logits = try predict(images, parallelism: parallelism)
        return try Softmax.probabilities(logits.scaled(by: 1 / temperature))
    }
}

extension ReCAMENetwork {
    /// The fused, BatchNorm-folded form of the current weights and running statistics.
    public func inferenceModel() throws -> InferenceModel {
        try InferenceModel(network: self)
    }
}
