/// A decoded raster: 8-bit samples, rows top to bottom, channels interleaved (gray, or R G B).
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// 1 (gray) or 3 (RGB).
    public let channels: Int
    /// `width * height * channels` samples.
    public let pixels: [UInt8]

    /// Validates that the pixel count matches the geometry.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0 else {
            throw ImageError.invalidArgument("image size \(width) x \(height) must be positive")
        }
        guard channels == 1 || channels == 3 else {
            throw ImageError.invalidArgument("an image has 1 or 3 channels, not \(channels)")
        }
        let (area, overflowA) = width.multipliedReportingOverflow(by: height)
        let (expected, overflowB) = area.multipliedReportingOverflow(by: channels)
        guard !overflowA, !overflowB, pixels.count == expected else {
            throw ImageError.invalidArgument(
                "\(pixels.count) samples given for a \(width) x \(height) image with \(channels) channels")
        }
        self.init(validatedWidth: width, height: height, channels: channels, pixels: pixels)
    }

    /// For producers inside this module that have already established the invariants.
    init(validatedWidth width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The sample at column `x`, row `y`, channel `channel` (all zero-based).
    public subscript(x: Int, y: Int, channel: Int) -> UInt8 {
        precondition(
            x >= 0 && x < width && y >= 0 && y < height && channel >= 0 && channel < channels,
            "pixel (\(x), \(y), \(channel)) outside a \(width) x \(height) x \(channels) image")
        return pixels[(y * width + x) * channels + channel]
    }
}
