import Tensor

/// One expert: its own CIFAR-style ResNet with regional attention, global average pooling to a
/// feature vector, and a cosine classifier.
public final class Expert {
    public let stem: Conv2d
    public let stemBN: BatchNorm2d
    /// stages[s][b]: stage s + 1 (1…3), block b.
    public let stages: [[BasicBlock]]
    public let classifier: CosineClassifier
    private let stemReLU = ReLU()
    private let pool = GlobalAveragePool()

    /// Scratch shared by this expert's convolutions (experts run concurrently, so not across them).
    let workspace = ConvolutionWorkspace()

    init(architecture: NetworkArchitecture, generator: inout SeededGenerator) throws {
        let widths = architecture.widths
        stem = try Conv2d(
            inputChannels: architecture.inputChannels, outputChannels: widths[0], kernelSize: 3,
            padding: 1, generator: &generator, workspace: workspace)
        stemBN = try BatchNorm2d(channels: widths[0], epsilon: architecture.batchNormEpsilon)
        var stages = [[BasicBlock]]()
        var channels = widths[0]
        for (index, width) in widths.enumerated() {
            var blocks = [BasicBlock]()
            for block in 0..<architecture.blocksPerStage {
                let stride = index > 0 && block == 0 ? 2 : 1
                blocks.append(
                    try BasicBlock(
                        inputChannels: channels, outputChannels: width, stride: stride,
                        architecture: architecture, workspace: workspace, generator: &generator))
                channels = width
            }
            stages.append(blocks)
        }
        self.stages = stages
        classifier = try CosineClassifier(
            features: channels, classes: architecture.classes, scale: architecture.cosineScale,
            generator: &generator)
    }

    var parameters: [Parameter] {
        stem.parameters + stemBN.parameters + stages.flatMap { $0.flatMap(\.parameters) }
            + classifier.parameters
    }

    /// Logits [N, classes] and pooled features [N, F].
    func forward(_ images: Tensor, training: Bool) throws -> (logits: Tensor, features: Tensor) {
        var x = try stemReLU.forward(
            stemBN.forward(stem.forward(images, training: training), training: training),
            training: training)
        for stage in stages {
            for block in stage { x = try block.forward(x, training: training) }
        }
        let features = try pool.forward(x, training: training)
        return (try classifier.forward(features, training: training), features)
    }

    /// Back-propagates the gradients of the loss with respect to the logits and the features.
    func backward(logitsGradient: Tensor, featuresGradient: Tensor?) throws {
        var pooled = try classifier.backward(logitsGradient)
        if let featuresGradient { try pooled.add(featuresGradient) }
        var x = try pool.backward(pooled)
        for stage in stages.reversed() {
            for block in stage.reversed() { x = try block.backward(x) }
        }
        x = try stemBN.backward(stemReLU.backward(x))
        // The input gradient of the stem is not needed, but the stem's weight gradient is.
        _ = try stem.backward(x)
    }

    func stateEntries(prefix: String) -> [StateEntry] {
        var entries = StateEntry.convolution(prefix + ".conv1", stem)
        entries += StateEntry.batchNorm(prefix + ".bn1", stemBN)
        for (s, stage) in stages.enumerated() {
            for (b, block) in stage.enumerated() {
                entries += block.stateEntries(prefix: "\(prefix).layer\(s + 1).\(b)")
            }
        }
        entries += [
            .parameter(prefix + ".classifier.weight", classifier.weight),
            .parameter(prefix + ".classifier.bias", classifier.bias),
        ]
        return entries
    }
}
