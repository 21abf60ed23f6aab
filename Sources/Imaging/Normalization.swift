/// Per-channel normalisation into planar (CHW) floats: `(sample / 255 - mean[c]) / std[c]`, with mean
/// and std on the 0...1 scale (the PyTorch convention, and the checkpoint's `mean`/`std` fields).
public struct Normalization: Equatable, Sendable {
    public let mean: [Float]
    public let std: [Float]
    /// Multiplier and addend that apply the normalisation to a 0...255 sample in one step.
    let scale: [Float]
    let offset: [Float]

    public var channels: Int { mean.count }

    public init(mean: [Float], std: [Float]) throws {
        guard mean.count == 1 || mean.count == 3 else {
            throw ImageError.invalidArgument("normalisation needs 1 or 3 means, not \(mean.count)")
        }
        guard std.count == mean.count else {
            throw ImageError.invalidArgument("normalisation has \(mean.count) means but \(std.count) deviations")
        }
        guard mean.allSatisfy({ $0.isFinite }) else {
            throw ImageError.invalidArgument("normalisation mean \(mean) is not finite")
        }
        guard std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw ImageError.invalidArgument("normalisation std \(std) must be finite and positive")
        }
        self.mean = mean
        self.std = std
        scale = std.map { 1 / (255 * $0) }
        offset = zip(mean, std).map { -$0 / $1 }
    }

    /// Maps samples to 0...1 without centring.
    public static func unit(channels: Int) throws -> Normalization {
        try Normalization(mean: Array(repeating: 0, count: channels), std: Array(repeating: 1, count: channels))
    }

    /// Writes the image, at its own size, as `channels x height x width` floats into the start of
    /// `destination`. The image must have as many channels as this normalisation.
    public func write(_ image: Image, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard image.channels == channels else {
            throw ImageError.invalidArgument(
                "normalisation for \(channels) channels applied to a \(image.channels)-channel image")
        }
        let area = image.width * image.height
        guard destination.count >= channels * area else {
            throw ImageError.invalidArgument(
                "destination holds \(destination.count) floats, \(channels * area) needed")
        }
        image.pixels.withUnsafeBufferPointer { pixels in
            for channel in 0..<channels {
                let multiplier = scale[channel]
                let addend = offset[channel]
                let plane = channel * area
                for index in 0..<area {
                    destination[plane + index] = Float(pixels[index * channels + channel]) * multiplier + addend
                }
            }
        }
    }

    /// As `write(_:into:)`, at `offset` floats into `destination` (one slot of a batch buffer).
    public func write(_ image: Image, into destination: inout [Float], at offset: Int) throws {
        let needed = channels * image.width * image.height
        try BufferSlot.check(offset: offset, count: needed, capacity: destination.count)
        try destination.withUnsafeMutableBufferPointer { buffer in
            try write(image, into: UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + needed)]))
        }
    }
}

/// Range checks for writing one item into a caller's larger buffer.
enum BufferSlot {
    static func check(offset: Int, count: Int, capacity: Int) throws {
        guard offset >= 0, count <= capacity, offset <= capacity - count else {
            throw ImageError.invalidArgument(
                "\(count) floats at offset \(offset) do not fit in a buffer of \(capacity)")
        }
    }
}
