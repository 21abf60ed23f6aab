import Foundation
import Imaging

/// Small image files for pipeline tests, written with the project's own encoder: gray and RGB, PNG and
/// JPEG, in sizes other than the model's input so that the workers convert and resize. A few dozen
/// distinct images are encoded once and written under many names: what the tests count is messages.
enum TestImageFiles {
    /// Writes `count` images under `folder/prefix-NNNNN.(png|jpg)` and a manifest CSV
    /// (`path,wafer`, wafers `W0`…`W{wafers-1}` in rotation, so that the keyed messages spread over
    /// the partitions). `side`: square RGB images of that size instead of the small ones (slower to
    /// decode and resize). Returns the manifest.
    static func writeBatch(count: Int, into folder: URL, prefix: String, wafers: Int = 40, side: Int? = nil)
        throws -> URL
    {
        let files = try writeImages(count: count, into: folder, prefix: prefix, side: side)
        var manifest = "path,wafer\n"
        manifest.reserveCapacity(count * 32)
        for (index, file) in files.enumerated() { manifest += "\(file.lastPathComponent),W\(index % wafers)\n" }
        let url = folder.appendingPathComponent("\(prefix).csv")
        try manifest.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Writes `count` images under `folder/prefix-NNNNN.(png|jpg)` and returns their URLs.
    static func writeImages(count: Int, into folder: URL, prefix: String, side: Int? = nil) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let variants = try side.map(largeVariants) ?? encodedVariants()
        return try (0..<count).map { index in
            let (bytes, ext) = variants[index % variants.count]
            let url = folder.appendingPathComponent("\(prefix)-\(String(format: "%05d", index)).\(ext)")
            try Data(bytes).write(to: url)
            return url
        }
    }

    /// One valid image file (a PNG) at `url`.
    static func writeImage(to url: URL, seed: Int = 1) throws {
        try Data(ImageEncoder.png(try pattern(width: 24, height: 20, channels: 1, seed: seed))).write(to: url)
    }

    /// A JPEG whose entropy-coded data stops half way: libjpeg decodes it with a warning (gray filler),
    /// which a classifier must refuse.
    static func truncatedJPEG(width: Int = 64, height: Int = 48) throws -> [UInt8] {
        let full = try ImageEncoder.jpeg(try pattern(width: width, height: height, channels: 3, seed: 7), quality: 95)
        return Array(full.prefix(full.count / 2))
    }

    private static func encodedVariants() throws -> [([UInt8], String)] {
        var variants = [([UInt8], String)]()
        for seed in 0..<24 {
            let channels = seed % 3 == 0 ? 3 : 1
            let image = try pattern(width: 20 + seed % 7, height: 16 + seed % 5, channels: channels, seed: seed)
            if seed % 2 == 0 {
                variants.append((try ImageEncoder.png(image), "png"))
            } else {
                variants.append((try ImageEncoder.jpeg(image, quality: 85), "jpg"))
            }
        }
        return variants
    }

    private static func largeVariants(side: Int) throws -> [([UInt8], String)] {
        try (0..<4).map { seed in
            let image = try pattern(width: side, height: side, channels: 3, seed: seed)
            return seed % 2 == 0 ? (try ImageEncoder.png(image), "png") : (try ImageEncoder.jpeg(image), "jpg")
        }
    }

    /// Smooth gradients with a seed-dependent phase plus a little deterministic texture.
    static func pattern(width: Int, height: Int, channels: Int, seed: Int) throws -> Image {
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        var state = UInt32(truncatingIfNeeded: seed &* 2_654_435_761 &+ 1)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    state = state &* 1_664_525 &+ 1_013_904_223
                    let base = (x * 255 / max(1, width - 1) + y * (seed + 3) * 7 + c * 60) % 256
                    pixels[(y * width + x) * channels + c] = UInt8(truncatingIfNeeded: base + Int(state >> 28))
                }
            }
        }
        return try Image(width: width, height: height, channels: channels, pixels: pixels)
    }
}
