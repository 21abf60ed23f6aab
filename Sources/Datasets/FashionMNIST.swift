import Foundation

/// Fashion-MNIST from the Debian package `dataset-fashion-mnist`, and its long-tailed variant
/// FMNIST-LT (ARCHITECTURE §8): class c keeps its first ⌊6000 · IR^(−c/9)⌋ training images in file
/// order; the test set is the full balanced 10,000 images.
public struct FashionMNIST {
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    public static let classNames = [
        "tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle_boot",
    ]

    public let directory: String

    public init(directory: String = FashionMNIST.defaultDirectory) {
        self.directory = directory
    }

    /// `part` is "train" or "t10k", as in the file names.
    public func load(part: String) throws -> ImageSet {
        let images = try IDXFile(path: try file("\(part)-images-idx3-ubyte"))
        let labels = try IDXFile(path: try file("\(part)-labels-idx1-ubyte"))
        guard images.dimensions.count == 3, labels.dimensions.count == 1,
            images.dimensions[0] == labels.dimensions[0]
        else {
            throw DatasetError.malformed(
                path: directory,
                reason: "\(part): images \(images.dimensions) and labels \(labels.dimensions) do not match")
        }
        let (count, height, width) = (images.dimensions[0], images.dimensions[1], images.dimensions[2])
        var set = ImageSet(classNames: Self.classNames, channels: 1, height: height, width: width)
        let size = height * width
        for index in 0..<count {
            let label = Int(labels.bytes[index])
            guard label < Self.classNames.count else {
                throw DatasetError.malformed(path: directory, reason: "\(part): label \(label) at image \(index)")
            }
            set.append(
                pixels: images.bytes[index * size..<(index + 1) * size], label: label, identifier: "\(part):\(index)")
        }
        return set
    }

    /// Images kept per class at imbalance ratio `ratio` (ARCHITECTURE §8).
    public static func longTailCounts(imbalance ratio: Double, classes: Int = 10, head: Int = 6000) -> [Int] {
        (0..<classes).map { c in
            Int((Double(head) * pow(ratio, -Double(c) / Double(classes - 1))).rounded(.down))
        }
    }

    /// FMNIST-LT at imbalance `ratio`. Validation: the last `validationPerClass` training images of each
    /// class in file order, a balanced set disjoint from the long-tailed training images (only the head
    /// class, which uses all its 6,000 images, gives up those few), so checkpoint selection by macro
    /// recall is not decided by a handful of tail images.
    public func longTailed(imbalance ratio: Double, validationPerClass: Int = 50) throws -> DataSplits {
        guard ratio >= 1, ratio.isFinite else {
            throw DatasetError.badSpecification("imbalance ratio must be ≥ 1 (got \(ratio))")
        }
        let full = try load(part: "train")
        let keep = Self.longTailCounts(imbalance: ratio, classes: full.classNames.count)
        var byClass = [[Int]](repeating: [], count: full.classNames.count)
        for index in 0..<full.count { byClass[full.labels[index]].append(index) }
        var trainIndices = [Int]()
        var validationIndices = [Int]()
        for (label, members) in byClass.enumerated() {
            let validation = Array(members.suffix(validationPerClass))
            let reserved = Set(validation)
            trainIndices += members.prefix(keep[label]).filter { !reserved.contains($0) }
            validationIndices += validation
        }
        let hash = StableHash.hex(
            StableHash.of("fmnist-lt:\(ratio):\(validationPerClass):\(trainIndices.count):\(trainIndices.last ?? 0)"))
        return try DataSplits(
            train: full.subset(trainIndices.sorted()), validation: full.subset(validationIndices.sorted()),
            test: try load(part: "t10k"), splitHash: hash,
            description: "fmnist-lt:\(Self.formatted(ratio))")
    }

    private func file(_ stem: String) throws -> String {
        for candidate in ["\(directory)/\(stem).gz", "\(directory)/\(stem)"]
        where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw DatasetError.unreadable(
            path: "\(directory)/\(stem)[.gz]", reason: "missing; install the Debian package dataset-fashion-mnist")
    }

    static func formatted(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
