import Datasets
import Foundation
import Imaging
import Tensor

/// Tiny labelled image sets for training tests: 8×8 images of horizontal stripes, vertical stripes or
/// a checkerboard (3 classes, unchanged in kind by the flips and shifts of augmentation), plus seeded
/// noise, so that a tiny network can learn them in a few steps.
enum TrainingFixtures {
    static let classNames = ["horizontal", "vertical", "checker"]

    static func pixels(label: Int, generator: inout SeededGenerator, size: Int = 8) -> [UInt8] {
        var pixels = [UInt8]()
        for r in 0..<size {
            for c in 0..<size {
                let bright = [r % 2 == 0, c % 2 == 0, (r + c) % 2 == 0][label]
                let noise = generator.nextInt(in: -40...40)
                pixels.append(UInt8(clamping: (bright ? 190 : 60) + noise))
            }
        }
        return pixels
    }

    static func imageSet(perClass: [Int], seed: UInt64, prefix: String) -> ImageSet {
        var generator = SeededGenerator(seed: seed)
        var set = ImageSet(classNames: classNames, channels: 1, height: 8, width: 8)
        for (label, count) in perClass.enumerated() {
            for index in 0..<count {
                set.append(
                    pixels: pixels(label: label, generator: &generator), label: label,
                    identifier: "\(prefix):\(label):\(index)")
            }
        }
        return set
    }

    /// Long-tailed training (24, 12, 6 images), balanced validation and test sets.
    static func splits() throws -> DataSplits {
        try DataSplits(
            train: imageSet(perClass: [24, 12, 6], seed: 1, prefix: "train"),
            validation: imageSet(perClass: [4, 4, 4], seed: 2, prefix: "validation"),
            test: imageSet(perClass: [6, 6, 6], seed: 3, prefix: "test"), splitHash: "fixture-1",
            description: "fixture")
    }

    /// Writes the same kind of images as PNG files in a folder data set (one sub-folder per class).
    static func writeFolder(at root: URL, perClass: Int, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        for (label, name) in classNames.enumerated() {
            let directory = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for index in 0..<perClass {
                let image = try Image(
                    width: 8, height: 8, channels: 1, pixels: pixels(label: label, generator: &generator))
                try Data(try ImageEncoder.png(image)).write(to: directory.appendingPathComponent("\(index).png"))
            }
        }
    }

    static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
