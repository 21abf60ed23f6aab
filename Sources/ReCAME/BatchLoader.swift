import Datasets
import Imaging
import Tensor

/// Turns images of an `ImageSet` (8-bit C×H×W planes) into normalised NCHW batches, optionally
/// augmented. The per-channel normalisation is the model's `mean`/`std` (0...1 scale).
public struct BatchLoader {
    public let images: ImageSet
    public let mean: [Float]
    public let std: [Float]
    private let shape: PlanarShape

    public init(images: ImageSet, mean: [Double], std: [Double]) throws {
        guard mean.count == images.channels, std.count == images.channels else {
            throw TrainingError.invalidData(
                "normalisation has \(mean.count) means and \(std.count) deviations for \(images.channels)-channel images"
            )
        }
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw TrainingError.invalidData("normalisation mean \(mean) / std \(std) must be finite, std positive")
        }
        self.images = images
        self.mean = mean.map(Float.init)
        self.std = std.map(Float.init)
        shape = try PlanarShape(channels: images.channels, height: images.height, width: images.width)
    }

    /// The per-channel mean and standard deviation of a set's pixels on the 0...1 scale (computed in
    /// double, so the result does not depend on the set's order).
    public static func statistics(of images: ImageSet) -> (mean: [Double], std: [Double]) {
        let plane = images.height * images.width
        var sums = [Double](repeating: 0, count: images.channels)
        var squares = [Double](repeating: 0, count: images.channels)
        images.pixels.withUnsafeBufferPointer { pixels in
            for index in 0..<images.count {
                for c in 0..<images.channels {
                    let base = (index * images.channels + c) * plane
                    var sum = 0
                    var square = 0
                    for p in 0..<plane {
                        let value = Int(pixels[base + p])
                        sum += value
                        square += value * value
                    }
                    sums[c] += Double(sum)
                    squares[c] += Double(square)
                }
            }
        }
        let count = Double(max(images.count * plane, 1))
        let mean = sums.map { $0 / count / 255 }
        let std = zip(squares, mean).map { square, mean in
            max((square / count / (255 * 255) - mean * mean).squareRoot(), 1e-3)
        }
        return (mean, std)
    }

    /// The images at `indices` as a normalised [N, C, H, W] tensor; each is augmented when an
    /// augmenter is given (in index order, so the draws repeat with the augmenter's seed).
    public func batch(_ indices: some Collection<Int>, augmenter: inout Augmenter?) throws -> Tensor {
        let size = images.imageSize
        let plane = shape.planeCount
        var buffer = [Float](repeating: 0, count: indices.count * size)
        images.pixels.withUnsafeBufferPointer { pixels in
            buffer.withUnsafeMutableBufferPointer { out in
                for (slot, index) in indices.enumerated() {
                    for c in 0..<shape.channels {
                        let scale = 1 / (255 * std[c])
                        let offset = -mean[c] / std[c]
                        let source = index * size + c * plane
                        let target = slot * size + c * plane
                        for p in 0..<plane { out[target + p] = Float(pixels[source + p]) * scale + offset }
                    }
                }
            }
        }
        if augmenter != nil {
            for slot in 0..<indices.count { try augmenter!.apply(to: &buffer, at: slot * size, shape: shape) }
        }
        return try Tensor(shape: [indices.count, shape.channels, shape.height, shape.width], scalars: buffer)
    }

    /// Without augmentation.
    public func batch(_ indices: some Collection<Int>) throws -> Tensor {
        var none: Augmenter? = nil
        return try batch(indices, augmenter: &none)
    }
}
