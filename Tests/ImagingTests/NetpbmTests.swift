import XCTest

@testable import Imaging

final class NetpbmTests: XCTestCase {
    func testEightBitPGMAndPPMRoundTrip() throws {
        for channels in [1, 3] {
            let image = TestImages.noise(width: 9, height: 7, channels: channels, seed: 9)
            let encoded = ImageEncoder.netpbm(image)
            XCTAssertEqual(ImageFormat.sniff(encoded), .netpbm)
            XCTAssertEqual(try ImageDecoder.decode(encoded), image)
        }
    }

    func testCommentsAndMaxvalScaling() throws {
        let file = Array("P5\n# made by hand\n3 # width\n2\n15\n".utf8) + [0, 1, 7, 8, 14, 15]
        let image = try ImageDecoder.decode(file)
        XCTAssertEqual([image.width, image.height, image.channels], [3, 2, 1])
        XCTAssertEqual(image.pixels, [0, 17, 119, 136, 238, 255])
    }

    func testSixteenBitSamplesAreBigEndianAndScaled() throws {
        let values = [0, 1000, 32_768, 65_535]
        let raster = values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let image = try ImageDecoder.decode(Array("P5 2 2 65535\n".utf8) + raster)
        XCTAssertEqual(image.pixels, values.map { UInt8((Double($0) * 255 / 65_535).rounded()) })
        XCTAssertEqual(try ImageDecoder.header(of: Array("P5 2 2 65535\n".utf8) + raster).bitDepth, 16)
        // maxval 1000: samples above it are corrupt.
        let tooBig = Array("P5 1 1 1000\n".utf8) + [0x03, 0xE9]
        XCTAssertThrowsError(try ImageDecoder.decode(tooBig)) { error in
            guard case ImageError.corrupt(.netpbm, _) = error else { return XCTFail("got \(error)") }
        }
    }

    func testMalformedHeadersAndShortRastersAreErrors() throws {
        let cases: [(String, [UInt8])] = [
            ("short raster", Array("P5 4 4 255\n".utf8) + [1, 2, 3]),
            ("no maxval", Array("P5 4 4".utf8)),
            ("zero width", Array("P5 0 4 255\n".utf8)),
            ("letters", Array("P5 x 4 255\n".utf8)),
            ("maxval zero", Array("P5 1 1 0\n".utf8) + [0]),
            ("maxval too big", Array("P5 1 1 70000\n".utf8) + [0, 0]),
            ("huge number", Array("P5 99999999999999999999 1 255\n".utf8)),
        ]
        for (name, bytes) in cases {
            XCTAssertThrowsError(try ImageDecoder.decode(bytes), name) { error in
                switch error as? ImageError {
                case .truncated(.netpbm, _), .corrupt(.netpbm, _): break
                default: XCTFail("\(name): \(error)")
                }
            }
        }
    }
}
