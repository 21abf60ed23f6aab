import Tensor

/// The shape of a ReCAME-Net: a CIFAR-style ResNet per expert, with regional channel attention in
/// every block and a cosine classifier on each expert's pooled features.
///
/// This is the structural part only; the checkpoint's model configuration (class names,
/// normalisation, training provenance) maps onto it.
public struct NetworkArchitecture: Sendable, Equatable, Codable {
    /// 20, 32, 44, 56, … (any 6n + 2): (depth − 2) / 6 BasicBlocks per stage.
    public var depth: Int
    /// Channels of the stem and stages 1, 2, 3 ([16, 32, 64] at width 1).
    public var widths: [Int]
    public var experts: Int
    public var classes: Int
    public var inputChannels: Int
    /// Input height and width the model was built for (checked at prediction time).
    public var inputHeight: Int
    public var inputWidth: Int
    public var batchNormEpsilon: Float
    public var cosineScale: Float
    public var attentionReduction: Int
    public var attentionMinimumHidden: Int

    public init(
        depth: Int = 20, widths: [Int] = [16, 32, 64], experts: Int = 3, classes: Int,
        inputChannels: Int = 1, inputHeight: Int = 28, inputWidth: Int = 28,
        batchNormEpsilon: Float = 1e-5, cosineScale: Float = 16, attentionReduction: Int = 16,
        attentionMinimumHidden: Int = 4
    ) {
        self.depth = depth
        self.widths = widths
        self.experts = experts
        self.classes = classes
        self.inputChannels = inputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.batchNormEpsilon = batchNormEpsilon
        self.cosineScale = cosineScale
        self.attentionReduction = attentionReduction
        self.attentionMinimumHidden = attentionMinimumHidden
    }

    /// Stage widths [16, 32, 64] scaled by `multiplier` (rounded, at least 1).
    public static func widths(multiplier: Double) -> [Int] {
        [16, 32, 64].map { max(1, Int((Double($0) * multiplier).rounded())) }
    }

    public var blocksPerStage: Int { (depth - 2) / 6 }

    /// The feature width each expert's classifier sees.
    public var featureWidth: Int { widths.last ?? 0 }

    /// Hidden width of the attention MLP for a block with `channels` channels.
    public func attentionHidden(channels: Int) -> Int {
        max(channels / attentionReduction, attentionMinimumHidden)
    }

    /// Spatial size after the three stages (stride 2 at stages 2 and 3, padding 1).
    public var finalSpatialSize: (height: Int, width: Int) {
        func down(_ size: Int) -> Int { (size - 1) / 2 + 1 }
        return (down(down(inputHeight)), down(down(inputWidth)))
    }

    /// Throws with the offending field named when the architecture cannot be built.
    public func validate() throws {
        guard depth >= 8, (depth - 2) % 6 == 0 else {
            throw TensorError.invalidArgument("architecture depth must be 6n + 2 with n ≥ 1, got \(depth)")
        }
        guard widths.count == 3, widths.allSatisfy({ $0 > 0 }) else {
            throw TensorError.invalidArgument(
                "architecture widths must be three positive stage widths, got \(widths)")
        }
        guard experts >= 1 else {
            throw TensorError.invalidArgument("architecture experts must be at least 1, got \(experts)")
        }
        guard classes >= 2 else {
            throw TensorError.invalidArgument("architecture classes must be at least 2, got \(classes)")
        }
        guard inputChannels == 1 || inputChannels == 3 else {
            throw TensorError.invalidArgument(
                "architecture input channels must be 1 or 3, got \(inputChannels)")
        }
        // Regional attention needs at least 2×2 maps in stage 3 (each quadrant non-empty).
        let final = finalSpatialSize
        guard final.height >= 2, final.width >= 2 else {
            throw TensorError.invalidArgument(
                "architecture input \(inputHeight)×\(inputWidth) is too small: stage 3 would be "
                    + "\(final.height)×\(final.width), regional attention needs at least 2×2")
        }
        guard batchNormEpsilon > 0, cosineScale > 0 else {
            throw TensorError.invalidArgument(
                "architecture bn_eps and cosine_scale must be positive, got \(batchNormEpsilon), \(cosineScale)")
        }
        guard attentionReduction >= 1, attentionMinimumHidden >= 1 else {
            throw TensorError.invalidArgument(
                "architecture rca_reduction and rca_min_hidden must be at least 1, got "
                    + "\(attentionReduction), \(attentionMinimumHidden)")
        }
    }
}
