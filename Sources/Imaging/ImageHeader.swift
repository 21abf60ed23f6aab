/// What an image's header declares, read without decoding (or allocating for) its pixels.
public struct ImageHeader: Equatable, Sendable {
    public let format: ImageFormat
    public let width: Int
    public let height: Int
    /// Channels of the decoded image: 1 (gray) or 3 (RGB); alpha is dropped.
    public let channels: Int
    /// Bits per sample as stored (decoded samples are always 8-bit).
    public let bitDepth: Int

    public var pixelCount: Int { width * height }
}
