extension Image {
    /// This image with `channels` channels: RGB to gray by BT.601 luma, gray to RGB by replication.
    public func converted(toChannels channels: Int) throws -> Image {
        if channels == self.channels { return self }
        return try resized(width: width, height: height, channels: channels)
    }

    /// This image resized to `width` x `height` (each axis independently: area averaging where it
    /// shrinks, bilinear interpolation where it grows), optionally converting channels in the same pass.
    /// Samples are rounded to the nearest integer.
    public func resized(width: Int, height: Int, channels: Int? = nil) throws -> Image {
        let channels = channels ?? self.channels
        guard width > 0, height > 0 else {
            throw ImageError.invalidArgument("target size \(width) x \(height) must be positive")
        }
        guard channels == 1 || channels == 3 else {
            throw ImageError.invalidArgument("an image has 1 or 3 channels, not \(channels)")
        }
        if width == self.width, height == self.height, channels == self.channels { return self }
        let area = width * height
        var planar = [Float](repeating: 0, count: channels * area)
        let identity: [Float] = [1, 1, 1]
        let zero: [Float] = [0, 0, 0]
        identity.withUnsafeBufferPointer { scale in
            zero.withUnsafeBufferPointer { offset in
                planar.withUnsafeMutableBufferPointer { destination in
                    Resampler.resample(
                        self, width: width, height: height, channels: channels, scale: scale, offset: offset,
                        into: destination)
                }
            }
        }
        var pixels = [UInt8](repeating: 0, count: channels * area)
        for channel in 0..<channels {
            for index in 0..<area {
                let value = planar[channel * area + index].rounded()
                pixels[index * channels + channel] = UInt8(min(max(value, 0), 255))
            }
        }
        return Image(validatedWidth: width, height: height, channels: channels, pixels: pixels)
    }
}
