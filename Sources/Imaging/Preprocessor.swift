import Foundation

/// Turns an encoded image into the model's input: decode, convert to the model's channels, resize to
/// `height x width`, normalise, written as CHW floats into a caller's buffer (typically one slot of a
/// reused batch buffer). Conversion, resizing and normalisation happen in a single pass, so beyond
/// the decoded image nothing is allocated per call. A value type without mutable state: share it
/// freely across threads.
public struct Preprocessor: Equatable, Sendable {
    public let height: Int
    public let width: Int
    public let channels: Int
    public let normalization: Normalization
    /// Images declaring more pixels than this are refused before decoding.
    public let maxPixels: Int

    public init(
        height: Int, width: Int, channels: Int, mean: [Float], std: [Float],
        maxPixels: Int = ImageDecoder.defaultMaxPixels
    ) throws {
        guard height > 0, width > 0 else {
            throw ImageError.invalidArgument("model input size \(height) x \(width) must be positive")
        }
        guard channels == 1 || channels == 3 else {
            throw ImageError.invalidArgument("model input has 1 or 3 channels, not \(channels)")
        }
        let normalization = try Normalization(mean: mean, std: std)
        guard normalization.channels == channels else {
            throw ImageError.invalidArgument(
                "\(channels) input channels but \(normalization.channels) normalisation values")
        }
        guard maxPixels > 0 else { throw ImageError.invalidArgument("maxPixels \(maxPixels) must be positive") }
        self.height = height
        self.width = width
        self.channels = channels
        self.normalization = normalization
        self.maxPixels = maxPixels
    }

    /// Floats written per image: `channels * height * width`.
    public var elementCount: Int { channels * height * width }

    public func process<Bytes: ContiguousBytes>(_ bytes: Bytes, into destination: UnsafeMutableBufferPointer<Float>)
        throws
    {
        try process(ImageDecoder.decode(bytes, maxPixels: maxPixels), into: destination)
    }

    public func process<Bytes: ContiguousBytes>(_ bytes: Bytes, into destination: inout [Float], at offset: Int)
        throws
    {
        try process(ImageDecoder.decode(bytes, maxPixels: maxPixels), into: &destination, at: offset)
    }

    /// Writes an already decoded image (any size, 1 or 3 channels) into the start of `destination`.
    public func process(_ image: Image, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard destination.count >= elementCount else {
            throw ImageError.invalidArgument("destination holds \(destination.count) floats, \(elementCount) needed")
        }
        normalization.scale.withUnsafeBufferPointer { scale in
            normalization.offset.withUnsafeBufferPointer { offset in
                Resampler.resample(
                    image, width: width, height: height, channels: channels, scale: scale, offset: offset,
                    into: destination)
            }
        }
    }

    public func process(_ image: Image, into destination: inout [Float], at offset: Int) throws {
        try BufferSlot.check(offset: offset, count: elementCount, capacity: destination.count)
        let count = elementCount
        try destination.withUnsafeMutableBufferPointer { buffer in
            try process(image, into: UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + count)]))
        }
    }

    /// Convenience for one-off use (the CLI's `predict`): a fresh array of `elementCount` floats.
    public func tensor<Bytes: ContiguousBytes>(from bytes: Bytes) throws -> [Float] {
        var output = [Float](repeating: 0, count: elementCount)
        try process(bytes, into: &output, at: 0)
        return output
    }
}
