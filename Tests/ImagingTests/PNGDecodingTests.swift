import Tensor
import TestSupport
import XCTest

@testable import Imaging

final class PNGDecodingTests: XCTestCase {
    func testOwnEncoderRoundTripsGrayAndRGBExactly() throws {
        for channels in [1, 3] {
            let original = TestImages.noise(width: 37, height: 19, channels: channels, seed: UInt64(channels))
            for level in [0, 6, 9] {
                let encoded = try ImageEncoder.png(original, compressionLevel: level)
                XCTAssertEqual(ImageFormat.sniff(encoded), .png)
                XCTAssertEqual(try ImageDecoder.decode(encoded), original, "channels \(channels), level \(level)")
            }
        }
    }

    func testEightBitGrayRGBAndInterlacedFromHandBuiltFiles() throws {
        let width = 13
        let height = 9
        let gray = (0..<(width * height)).map { ($0 * 37) % 256 }
        let rgb = (0..<(width * height * 3)).map { ($0 * 91 + 7) % 256 }
        for interlaced in [false, true] {
            let grayFile = RawPNG.make(
                width: width, height: height, bitDepth: 8, colorType: .gray, samples: gray, interlaced: interlaced)
            XCTAssertEqual(try ImageDecoder.decode(grayFile).pixels, gray.map(UInt8.init))
            let rgbFile = RawPNG.make(
                width: width, height: height, bitDepth: 8, colorType: .rgb, samples: rgb, interlaced: interlaced)
            let image = try ImageDecoder.decode(rgbFile)
            XCTAssertEqual(image.channels, 3)
            XCTAssertEqual(image.pixels, rgb.map(UInt8.init), "interlaced \(interlaced)")
        }
    }

    func testSixteenBitSamplesAreScaledToEightBits() throws {
        let width = 11
        let height = 7
        var generator = SeededGenerator(seed: 16)
        // v = 257 b + r with r < 128 is nearer to 257 b than to any other multiple: it must become b.
        let bytes = (0..<(width * height * 3)).map { _ in generator.nextInt(below: 256) }
        let samples = bytes.map { min($0 * 257 + generator.nextInt(below: 128), 65_535) }
        let file = RawPNG.make(width: width, height: height, bitDepth: 16, colorType: .rgb, samples: samples)
        let image = try ImageDecoder.decode(file)
        XCTAssertEqual(image.pixels, bytes.map(UInt8.init))
        XCTAssertEqual(try ImageDecoder.header(of: file).bitDepth, 16)

        let arbitrary = (0..<(width * height)).map { _ in generator.nextInt(below: 65_536) }
        let grayFile = RawPNG.make(width: width, height: height, bitDepth: 16, colorType: .gray, samples: arbitrary)
        let gray = try ImageDecoder.decode(grayFile)
        for (value, decoded) in zip(arbitrary, gray.pixels) {
            let exact = (Double(value) * 255 / 65_535).rounded()
            XCTAssertLessThanOrEqual(abs(Double(decoded) - exact), 1, "16-bit \(value) became \(decoded)")
        }
    }

    func testAlphaIsDroppedNotComposited() throws {
        let width = 5
        let height = 4
        var generator = SeededGenerator(seed: 4)
        let colours = (0..<(width * height * 3)).map { _ in generator.nextInt(below: 256) }
        let alphas = (0..<(width * height)).map { _ in generator.nextInt(below: 256) }
        var rgba: [Int] = []
        var grayAlpha: [Int] = []
        var rgba16: [Int] = []
        for pixel in 0..<(width * height) {
            rgba += colours[(pixel * 3)..<(pixel * 3 + 3)] + [alphas[pixel]]
            grayAlpha += [colours[pixel * 3], alphas[pixel]]
            rgba16 += colours[(pixel * 3)..<(pixel * 3 + 3)].map { $0 * 257 } + [alphas[pixel] * 257]
        }
        let rgbaImage = try ImageDecoder.decode(
            RawPNG.make(width: width, height: height, bitDepth: 8, colorType: .rgba, samples: rgba))
        XCTAssertEqual(rgbaImage.channels, 3)
        XCTAssertEqual(rgbaImage.pixels, colours.map(UInt8.init))

        let rgba16Image = try ImageDecoder.decode(
            RawPNG.make(width: width, height: height, bitDepth: 16, colorType: .rgba, samples: rgba16))
        XCTAssertEqual(rgba16Image.pixels, colours.map(UInt8.init))

        let grayImage = try ImageDecoder.decode(
            RawPNG.make(width: width, height: height, bitDepth: 8, colorType: .grayAlpha, samples: grayAlpha))
        XCTAssertEqual(grayImage.channels, 1)
        XCTAssertEqual(grayImage.pixels, stride(from: 0, to: colours.count, by: 3).map { UInt8(colours[$0]) })
    }

    func testPaletteImagesExpandToRGBIncludingTransparencyAndSubByteDepths() throws {
        let width = 9
        let height = 5
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 200, 100, 50]
        let indices = (0..<(width * height)).map { ($0 * 7) % 5 }
        let expected = indices.flatMap { Array(palette[($0 * 3)..<($0 * 3 + 3)]) }
        for bitDepth in [8, 4] {
            for transparency in [nil, [UInt8]([0, 128, 255])] {
                let file = RawPNG.make(
                    width: width, height: height, bitDepth: bitDepth, colorType: .palette, samples: indices,
                    palette: palette, transparency: transparency)
                let image = try ImageDecoder.decode(file)
                XCTAssertEqual(image.channels, 3)
                XCTAssertEqual(image.pixels, expected, "depth \(bitDepth), tRNS \(transparency != nil)")
            }
        }
    }

    func testLowBitDepthGrayIsScaledToFullRange() throws {
        let width = 10
        let height = 3
        let ones = (0..<(width * height)).map { ($0 / 3) % 2 }
        let oneBit = try ImageDecoder.decode(
            RawPNG.make(width: width, height: height, bitDepth: 1, colorType: .gray, samples: ones))
        XCTAssertEqual(oneBit.pixels, ones.map { UInt8($0 * 255) })
        let twos = (0..<(width * height)).map { $0 % 4 }
        let twoBit = try ImageDecoder.decode(
            RawPNG.make(width: width, height: height, bitDepth: 2, colorType: .gray, samples: twos))
        XCTAssertEqual(twoBit.pixels, twos.map { UInt8($0 * 85) })
    }

    func testCorruptChecksumTruncationAndGarbageAreErrors() throws {
        let valid = try ImageEncoder.png(TestImages.smooth(width: 16, height: 16, channels: 3))
        // IHDR's CRC sits at bytes 29...32; a critical chunk with a bad CRC is refused.
        var badCRC = valid
        badCRC[30] ^= 0xFF
        XCTAssertThrowsError(try ImageDecoder.decode(badCRC)) { error in
            guard case ImageError.corrupt(.png, _) = error else { return XCTFail("got \(error)") }
        }
        for length in [4, 8, 20, 40, valid.count / 2, valid.count - 1] {
            XCTAssertThrowsError(try ImageDecoder.decode(Array(valid.prefix(length)))) { error in
                guard case ImageError.truncated(.png, _) = error else { return XCTFail("length \(length): \(error)") }
            }
        }
        XCTAssertThrowsError(try ImageDecoder.decode([UInt8](repeating: 0x42, count: 100))) { error in
            XCTAssertEqual(error as? ImageError, .unknownFormat(leadingBytes: [UInt8](repeating: 0x42, count: 8)))
        }
        XCTAssertThrowsError(try ImageDecoder.decode([UInt8]())) { error in
            XCTAssertEqual(error as? ImageError, .unknownFormat(leadingBytes: []))
        }
    }

    func testEncoderRejectsBadParameters() throws {
        let image = TestImages.smooth(width: 4, height: 4, channels: 1)
        XCTAssertThrowsError(try ImageEncoder.png(image, compressionLevel: 10))
        XCTAssertThrowsError(try ImageEncoder.jpeg(image, quality: 0))
        XCTAssertThrowsError(try Image(width: 2, height: 2, channels: 2, pixels: [0, 0, 0, 0, 0, 0, 0, 0]))
        XCTAssertThrowsError(try Image(width: 2, height: 2, channels: 1, pixels: [0, 0, 0]))
    }
}
