/// Labelled images held in memory as 8-bit planes, image after image in C×H×W order, so that a batch
/// is normalised straight into the network's NCHW input without reshuffling.
public struct ImageSet: Sendable {
    public let classNames: [String]
    public let channels: Int
    public let height: Int
    public let width: Int
    public private(set) var pixels: [UInt8]
    public private(set) var labels: [Int]
    /// A stable name for each image (file path or "train:123"), used by split files and reports.
    public private(set) var identifiers: [String]

    public var count: Int { labels.count }
    public var imageSize: Int { channels * height * width }

    public init(classNames: [String], channels: Int, height: Int, width: Int) {
        self.classNames = classNames
        self.channels = channels
        self.height = height
        self.width = width
        pixels = []
        labels = []
        identifiers = []
    }

    public mutating func append<C: Collection>(pixels image: C, label: Int, identifier: String)
    where C.Element == UInt8 {
        precondition(image.count == imageSize, "image has \(image.count) values, expected \(imageSize)")
        precondition(classNames.indices.contains(label), "label \(label) outside 0..<\(classNames.count)")
        pixels.append(contentsOf: image)
        labels.append(label)
        identifiers.append(identifier)
    }

    public func image(_ index: Int) -> ArraySlice<UInt8> {
        pixels[index * imageSize..<(index + 1) * imageSize]
    }

    /// The images at `indices`, in that order.
    public func subset<S: Sequence>(_ indices: S) -> ImageSet where S.Element == Int {
        var result = ImageSet(classNames: classNames, channels: channels, height: height, width: width)
        for index in indices {
            result.append(pixels: image(index), label: labels[index], identifier: identifiers[index])
        }
        return result
    }

    /// Images per class, indexed like `classNames`.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for label in labels { counts[label] += 1 }
        return counts
    }
}
