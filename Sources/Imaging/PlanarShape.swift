/// The geometry of one image stored planar (CHW) as floats.
public struct PlanarShape: Equatable, Sendable {
    public let channels: Int
    public let height: Int
    public let width: Int

    public init(channels: Int, height: Int, width: Int) throws {
        guard channels > 0, height > 0, width > 0 else {
            throw ImageError.invalidArgument("planar shape \(channels) x \(height) x \(width) must be positive")
        }
        self.channels = channels
        self.height = height
        self.width = width
    }

    public var planeCount: Int { height * width }
    public var count: Int { channels * height * width }

    func check(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard buffer.count >= count else {
            throw ImageError.invalidArgument("buffer holds \(buffer.count) floats, \(count) needed for \(self)")
        }
    }
}
