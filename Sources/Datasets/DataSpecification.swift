import Foundation
import Imaging

/// The `--data SPEC` of the command line (ARCHITECTURE §9): `fmnist-lt:IR`, `elpv[:PATH]`,
/// `elpv-cells[:PATH]` (grade × mono/poly cell type) or `folder:PATH`, loaded at the model's input
/// size and channel count.
public enum DataSpecification: Equatable, Sendable, CustomStringConvertible {
    case fashionMNISTLongTail(imbalance: Double)
    case elpv(root: String, byCellType: Bool = false)
    case folder(root: String)

    public static let defaultELPVRoot = ".local/data/elpv"

    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first ?? "" {
        case "fmnist-lt":
            guard parts.count == 2, let ratio = Double(parts[1]), ratio >= 1, ratio.isFinite else {
                throw DatasetError.badSpecification("'\(text)': expected fmnist-lt:IR with IR ≥ 1, e.g. fmnist-lt:100")
            }
            self = .fashionMNISTLongTail(imbalance: ratio)
        case "elpv", "elpv-cells":
            self = .elpv(
                root: parts.count == 2 && !parts[1].isEmpty ? parts[1] : Self.defaultELPVRoot,
                byCellType: parts[0] == "elpv-cells")
        case "folder":
            guard parts.count == 2, !parts[1].isEmpty else {
                throw DatasetError.badSpecification("'\(text)': expected folder:PATH")
            }
            self = .folder(root: parts[1])
        default:
            throw DatasetError.badSpecification(
                "'\(text)': expected fmnist-lt:IR, elpv[:PATH], elpv-cells[:PATH] or folder:PATH")
        }
    }

    public var description: String {
        switch self {
        case .fashionMNISTLongTail(let ratio): return "fmnist-lt:\(FashionMNIST.formatted(ratio))"
        case .elpv(let root, let byCellType):
            let name = byCellType ? "elpv-cells" : "elpv"
            return root == Self.defaultELPVRoot ? name : "\(name):\(root)"
        case .folder(let root): return "folder:\(root)"
        }
    }

    /// The natural input of the data set, used when the user does not choose one.
    public var defaultInput: (height: Int, width: Int, channels: Int) {
        switch self {
        case .fashionMNISTLongTail: return (28, 28, 1)
        case .elpv: return (64, 64, 1)
        case .folder: return (64, 64, 1)
        }
    }

    /// Loads the three splits. Seeded splits are written under `splitDirectory` so that later runs and
    /// outside tools see exactly the same assignment.
    public func load(
        height: Int, width: Int, channels: Int, seed: UInt64, splitDirectory: String = ".local/splits",
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> DataSplits {
        switch self {
        case .fashionMNISTLongTail(let ratio):
            let splits = try FashionMNIST().longTailed(imbalance: ratio)
            guard (height, width, channels) != (28, 28, 1) else { return splits }
            return try DataSplits(
                train: splits.train.resampled(height: height, width: width, channels: channels),
                validation: splits.validation.resampled(height: height, width: width, channels: channels),
                test: splits.test.resampled(height: height, width: width, channels: channels),
                splitHash: splits.splitHash, description: splits.description)
        case .elpv(let root, let byCellType):
            let labels = try ELPVLabels(root: root, byCellType: byCellType)
            // The two label sets keep separate split files so that neither overwrites the other's.
            let splitFile =
                root == Self.defaultELPVRoot
                ? "\(splitDirectory)/\(byCellType ? "elpv-cells" : "elpv")-seed\(seed).csv"
                : "\(root)/\(byCellType ? "cells-split" : "split").csv"
            return try Self.split(
                items: labels.items, classNames: labels.classNames, root: root, splitFile: splitFile,
                userSplit: nil, seed: seed, loader: FileImageLoader(height: height, width: width, channels: channels),
                description: description, progress: progress)
        case .folder(let root):
            let scanned = try ImageFolder(root: root).scan()
            var items = [FileImageLoader.Item]()
            for (label, entry) in scanned.enumerated() {
                items += entry.paths.map { FileImageLoader.Item(path: "\(root)/\($0)", label: label, identifier: $0) }
            }
            let userSplitPath = "\(root)/split.csv"
            let userSplit =
                FileManager.default.fileExists(atPath: userSplitPath)
                ? try StratifiedSplitter.readSplitFile(userSplitPath) : nil
            let name = URL(fileURLWithPath: root).lastPathComponent
            return try Self.split(
                items: items, classNames: scanned.map(\.className), root: root,
                splitFile: "\(splitDirectory)/folder-\(name)-\(StableHash.hex(StableHash.of(root)))-seed\(seed).csv",
                userSplit: userSplit, seed: seed,
                loader: FileImageLoader(height: height, width: width, channels: channels),
                description: description, progress: progress)
        }
    }

    private static func split(
        items: [FileImageLoader.Item], classNames: [String], root: String, splitFile: String,
        userSplit: [String: String]?, seed: UInt64, loader: FileImageLoader, description: String,
        progress: ((Int, Int) -> Void)?
    ) throws -> DataSplits {
        let assignment: [String]
        if let userSplit {
            assignment = try items.map { item in
                guard let part = userSplit[item.identifier] else {
                    throw DatasetError.malformed(
                        path: "\(root)/split.csv", reason: "no split given for '\(item.identifier)'")
                }
                return part
            }
        } else {
            assignment = StratifiedSplitter(seed: seed).assign(
                identifiers: items.map(\.identifier), labels: items.map(\.label), classCount: classNames.count)
        }
        let pairs = zip(items, assignment).map { ($0.identifier, $1) }
        let hash =
            userSplit == nil
            ? try StratifiedSplitter.writeSplitFile(pairs, to: splitFile) : StratifiedSplitter.digest(pairs)
        let all = try loader.load(items, classNames: classNames, progress: progress)
        func part(_ name: String) -> ImageSet { all.subset(assignment.indices.filter { assignment[$0] == name }) }
        return try DataSplits(
            train: part("train"), validation: part("validation"), test: part("test"), splitHash: hash,
            description: description)
    }
}

extension ImageSet {
    /// The same images at another size or channel count (area averaging or bilinear, as Imaging does).
    func resampled(height newHeight: Int, width newWidth: Int, channels newChannels: Int) throws -> ImageSet {
        var result = ImageSet(classNames: classNames, channels: newChannels, height: newHeight, width: newWidth)
        for index in 0..<count {
            let planar = Array(image(index))
            var interleaved = [UInt8](repeating: 0, count: imageSize)
            for c in 0..<channels {
                for p in 0..<(height * width) { interleaved[p * channels + c] = planar[c * height * width + p] }
            }
            let resized = try Image(width: width, height: height, channels: channels, pixels: interleaved)
                .resized(width: newWidth, height: newHeight, channels: newChannels)
            var back = [UInt8](repeating: 0, count: newChannels * newHeight * newWidth)
            for c in 0..<newChannels {
                for p in 0..<(newHeight * newWidth) {
                    back[c * newHeight * newWidth + p] = resized.pixels[p * newChannels + c]
                }
            }
            result.append(pixels: back, label: labels[index], identifier: identifiers[index])
        }
        return result
    }
}
