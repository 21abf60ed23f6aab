import Foundation
import Tensor

@testable import Imaging

/// Deterministic test pictures and small process probes shared by the imaging tests.
enum TestImages {
    /// A smooth picture (gradients plus a soft blob), the kind JPEG reproduces closely.
    static func smooth(width: Int, height: Int, channels: Int) -> Image {
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x) - Double(width) / 2
                let dy = Double(y) - Double(height) / 2
                let blob = 60 * exp(-(dx * dx + dy * dy) / Double(width * height) * 4)
                for c in 0..<channels {
                    let ramp = Double(x * (c + 1) * 120) / Double(width) + Double(y * 80) / Double(height)
                    pixels[(y * width + x) * channels + c] = UInt8(min(255, max(0, 20 + ramp + blob)).rounded())
                }
            }
        }
        return Image(validatedWidth: width, height: height, channels: channels, pixels: pixels)
    }

    /// Uniformly random samples from a seeded generator.
    static func noise(width: Int, height: Int, channels: Int, seed: UInt64) -> Image {
        var generator = SeededGenerator(seed: seed)
        let pixels = (0..<(width * height * channels)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        return Image(validatedWidth: width, height: height, channels: channels, pixels: pixels)
    }

    /// The process's resident set size in bytes, from /proc (Linux).
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kilobytes * 1024
        }
        return 0
    }

    /// Rewrites the frame size in a JPEG's first SOF marker.
    static func patchJPEGSize(_ jpeg: [UInt8], width: Int, height: Int) -> [UInt8] {
        var bytes = jpeg
        var index = 2
        while index + 9 < bytes.count {
            guard bytes[index] == 0xFF else { break }
            let marker = bytes[index + 1]
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            if (0xC0...0xC2).contains(marker) {
                bytes[index + 5] = UInt8(height >> 8)
                bytes[index + 6] = UInt8(height & 0xFF)
                bytes[index + 7] = UInt8(width >> 8)
                bytes[index + 8] = UInt8(width & 0xFF)
                return bytes
            }
            index += 2 + length
        }
        fatalError("no SOF marker in the JPEG")
    }
}
