import Tensor

/// conv3×3 → BN → ReLU → conv3×3 → BN → regional attention, plus the shortcut (identity, or a
/// 1×1 stride-s convolution with BN where the shape changes), then ReLU.
public final class BasicBlock: Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let attention: RegionalChannelAttention
    public let shortcutConv: Conv2d?
    public let shortcutBN: BatchNorm2d?
    private let relu1 = ReLU()
    private let relu2 = ReLU()

    init(
        inputChannels: Int, outputChannels: Int, stride: Int, architecture: NetworkArchitecture,
        workspace: ConvolutionWorkspace, generator: inout SeededGenerator
    ) throws {
        let eps = architecture.batchNormEpsilon
        conv1 = try Conv2d(
            inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3, stride: stride,
            padding: 1, generator: &generator, workspace: workspace)
        bn1 = try BatchNorm2d(channels: outputChannels, epsilon: eps)
        conv2 = try Conv2d(
            inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: 3, padding: 1,
            generator: &generator, workspace: workspace)
        bn2 = try BatchNorm2d(channels: outputChannels, epsilon: eps)
        attention = try RegionalChannelAttention(
            channels: outputChannels, hidden: architecture.attentionHidden(channels: outputChannels),
            generator: &generator)
        if stride != 1 || inputChannels != outputChannels {
            shortcutConv = try Conv2d(
                inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1,
                stride: stride, generator: &generator, workspace: workspace)
            shortcutBN = try BatchNorm2d(channels: outputChannels, epsilon: eps)
        } else {
            shortcutConv = nil
            shortcutBN = nil
        }
    }

    public var parameters: [Parameter] {
        var result = conv1.parameters + bn1.parameters + conv2.parameters + bn2.parameters
        result += attention.parameters
        if let shortcutConv, let shortcutBN { result += shortcutConv.parameters + shortcutBN.parameters }
        return result
    }

    public func forward(_ x: Tensor, training: Bool) throws -> Tensor {
        var main = try bn1.forward(conv1.forward(x, training: training), training: training)
        main = try relu1.forward(main, training: training)
        main = try bn2.forward(conv2.forward(main, training: training), training: training)
        main = try attention.forward(main, training: training)
        let shortcut: Tensor
        if let shortcutConv, let shortcutBN {
            shortcut = try shortcutBN.forward(shortcutConv.forward(x, training: training), training: training)
        } else {
            shortcut = x
        }
        try main.add(shortcut)
        return try relu2.forward(main, training: training)
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        let sum = try relu2.backward(outputGradient)
        var main = try attention.backward(sum)
        main = try conv2.backward(bn2.backward(main))
        main = try relu1.backward(main)
        var inputGradient = try conv1.backward(bn1.backward(main))
        if let shortcutConv, let shortcutBN {
            try inputGradient.add(shortcutConv.backward(shortcutBN.backward(sum)))
        } else {
            try inputGradient.add(sum)
        }
        return inputGradient
    }

    func stateEntries(prefix: String) -> [StateEntry] {
        var entries = StateEntry.convolution(prefix + ".conv1", conv1)
        entries += StateEntry.batchNorm(prefix + ".bn1", bn1)
        entries += StateEntry.convolution(prefix + ".conv2", conv2)
        entries += StateEntry.batchNorm(prefix + ".bn2", bn2)
        entries += attention.stateEntries(prefix: prefix + ".rca")
        if let shortcutConv, let shortcutBN {
            entries += StateEntry.convolution(prefix + ".shortcut.conv", shortcutConv)
            entries += StateEntry.batchNorm(prefix + ".shortcut.bn", shortcutBN)
        }
        return entries
    }
}
