import Tensor

/// What random augmentation to apply to a training image. Defect images have no canonical orientation,
/// so flips and small rotations preserve their class.
public struct AugmentationPolicy: Equatable, Sendable {
    /// Random crop of the image zero-padded by this many pixels on every side (0: off).
    public var cropPadding: Int
    /// Each flip is applied with probability 1/2.
    public var horizontalFlip: Bool
    public var verticalFlip: Bool
    /// Rotation by an angle uniform in ±this many degrees (0: off).
    public var maxRotationDegrees: Float
    /// The value uncovered pixels take. Augmentation runs on normalised buffers, so 0 means the
    /// dataset mean, as with padding before normalisation in the usual image pipelines.
    public var fill: Float

    public init(
        cropPadding: Int = 0, horizontalFlip: Bool = false, verticalFlip: Bool = false,
        maxRotationDegrees: Float = 0, fill: Float = 0
    ) {
        self.cropPadding = cropPadding
        self.horizontalFlip = horizontalFlip
        self.verticalFlip = verticalFlip
        self.maxRotationDegrees = maxRotationDegrees
        self.fill = fill
    }

    public static let none = AugmentationPolicy()

    /// Crop with padding and both flips: the default for inspection images.
    public static func inspection(cropPadding: Int = 4, maxRotationDegrees: Float = 0) -> AugmentationPolicy {
        AugmentationPolicy(
            cropPadding: cropPadding, horizontalFlip: true, verticalFlip: true,
            maxRotationDegrees: maxRotationDegrees)
    }

    func validate() throws {
        guard cropPadding >= 0 else { throw ImageError.invalidArgument("crop padding \(cropPadding) is negative") }
        guard maxRotationDegrees.isFinite, (0...180).contains(maxRotationDegrees) else {
            throw ImageError.invalidArgument("maximum rotation \(maxRotationDegrees) degrees is outside 0...180")
        }
        guard fill.isFinite else { throw ImageError.invalidArgument("fill value \(fill) is not finite") }
    }
}

/// The transform drawn for one image, in the order it is applied: rotation, crop shift, flips.
public struct AugmentationDraw: Equatable, Sendable {
    public var rotationDegrees: Float
    public var dx: Int
    public var dy: Int
    public var flipHorizontally: Bool
    public var flipVertically: Bool
}

/// Applies an `AugmentationPolicy` to planar float images in place, drawing from its own seeded
/// generator: the same seed and the same sequence of calls give the same outputs. Holds a scratch
/// plane that grows to the largest image seen, so repeated calls do not allocate. Not thread-safe:
/// give each loader thread its own augmenter (seeded, say, from the run seed and the thread index).
public struct Augmenter {
    public let policy: AugmentationPolicy
    public private(set) var generator: SeededGenerator
    private var scratch: [Float] = []

    public init(policy: AugmentationPolicy, seed: UInt64) throws {
        try policy.validate()
        self.policy = policy
        generator = SeededGenerator(seed: seed)
    }

    /// Restarts the random sequence, e.g. per epoch or per sample for order-independent results.
    public mutating func reseed(_ seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    /// Draws the next transform. The number of draws does not depend on the policy's switches, so
    /// turning one augmentation off leaves the others' random choices unchanged.
    public mutating func draw() -> AugmentationDraw {
        let angle = Float((generator.nextUnitInterval() * 2 - 1) * Double(policy.maxRotationDegrees))
        let padding = policy.cropPadding
        let dx = generator.nextInt(in: -padding...padding)
        let dy = generator.nextInt(in: -padding...padding)
        let flipH = generator.nextBool()
        let flipV = generator.nextBool()
        return AugmentationDraw(
            rotationDegrees: policy.maxRotationDegrees > 0 ? angle : 0, dx: dx, dy: dy,
            flipHorizontally: policy.horizontalFlip && flipH, flipVertically: policy.verticalFlip && flipV)
    }

    /// Draws a transform and applies it to the image at the start of `buffer`; returns what was drawn.
    @discardableResult
    public mutating func apply(to buffer: UnsafeMutableBufferPointer<Float>, shape: PlanarShape) throws
        -> AugmentationDraw
    {
        try shape.check(buffer)
        let drawn = draw()
        try apply(drawn, to: buffer, shape: shape)
        return drawn
    }

    /// As `apply(to:shape:)`, for the image at `offset` floats into `buffer` (one slot of a batch).
    @discardableResult
    public mutating func apply(to buffer: inout [Float], at offset: Int, shape: PlanarShape) throws
        -> AugmentationDraw
    {
        try BufferSlot.check(offset: offset, count: shape.count, capacity: buffer.count)
        let count = shape.count
        return try buffer.withUnsafeMutableBufferPointer { whole in
            try apply(to: UnsafeMutableBufferPointer(rebasing: whole[offset..<(offset + count)]), shape: shape)
        }
    }

    /// Applies a given transform (for replaying a draw).
    public mutating func apply(
        _ drawn: AugmentationDraw, to buffer: UnsafeMutableBufferPointer<Float>, shape: PlanarShape
    ) throws {
        if drawn.rotationDegrees != 0 {
            if scratch.count < shape.planeCount { scratch = [Float](repeating: 0, count: shape.planeCount) }
            let fill = policy.fill
            try scratch.withUnsafeMutableBufferPointer { scratch in
                try PlanarTransforms.rotate(
                    buffer, shape: shape, degrees: drawn.rotationDegrees, fill: fill, scratch: scratch)
            }
        }
        if drawn.dx != 0 || drawn.dy != 0 {
            try PlanarTransforms.shift(buffer, shape: shape, dx: drawn.dx, dy: drawn.dy, fill: policy.fill)
        }
        if drawn.flipHorizontally { try PlanarTransforms.flipHorizontally(buffer, shape: shape) }
        if drawn.flipVertically { try PlanarTransforms.flipVertically(buffer, shape: shape) }
    }
}
