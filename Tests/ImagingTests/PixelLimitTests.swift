import TestSupport
import XCTest

@testable import Imaging

/// Oversized headers must be refused from the header alone: the refusal is immediate and the
/// process does not grow by anything like the declared size.
final class PixelLimitTests: XCTestCase {
    private func assertRefusedCheaply(
        _ bytes: [UInt8], width: Int, height: Int, file: StaticString = #filePath, line: UInt = #line
    ) {
        let before = TestImages.residentBytes()
        let start = Date()
        XCTAssertThrowsError(try ImageDecoder.decode(bytes), file: file, line: line) { error in
            XCTAssertEqual(
                error as? ImageError, .tooLarge(width: width, height: height, limit: ImageDecoder.defaultMaxPixels),
                file: file, line: line)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5, file: file, line: line)
        let grown = TestImages.residentBytes() - before
        XCTAssertLessThan(grown, 16 << 20, "resident set grew by \(grown) bytes", file: file, line: line)
    }

    func testPNGDeclaringTenGigapixelsIsRefusedBeforeAllocating() throws {
        let file = RawPNG.header(width: 100_000, height: 100_000)
        XCTAssertEqual(
            try ImageDecoder.header(of: file),
            ImageHeader(format: .png, width: 100_000, height: 100_000, channels: 1, bitDepth: 8))
        assertRefusedCheaply(file, width: 100_000, height: 100_000)
    }

    func testJPEGDeclaringTheLargestFrameIsRefusedBeforeAllocating() throws {
        // A JPEG frame cannot declare 100,000 pixels a side (16-bit fields, libjpeg caps at 65,500),
        // so the largest legal frame, 4.3 gigapixels, stands in for it.
        let small = try ImageEncoder.jpeg(TestImages.smooth(width: 16, height: 16, channels: 3))
        let file = TestImages.patchJPEGSize(small, width: 65_500, height: 65_500)
        XCTAssertEqual(try ImageDecoder.header(of: file).width, 65_500)
        assertRefusedCheaply(file, width: 65_500, height: 65_500)
        // Beyond libjpeg's cap the header itself is refused.
        XCTAssertThrowsError(try ImageDecoder.decode(TestImages.patchJPEGSize(small, width: 65_535, height: 100)))
    }

    func testPGMDeclaringTenGigapixelsIsRefusedBeforeAllocating() {
        assertRefusedCheaply(Array("P5 100000 100000 255\n".utf8) + [0, 0, 0], width: 100_000, height: 100_000)
    }

    func testLimitIsInclusiveAndConfigurable() throws {
        let encoded = try ImageEncoder.png(TestImages.smooth(width: 64, height: 64, channels: 1))
        XCTAssertNoThrow(try ImageDecoder.decode(encoded, maxPixels: 4096))
        XCTAssertThrowsError(try ImageDecoder.decode(encoded, maxPixels: 4095)) { error in
            XCTAssertEqual(error as? ImageError, .tooLarge(width: 64, height: 64, limit: 4095))
        }
        XCTAssertThrowsError(try ImageDecoder.decode(encoded, maxPixels: 0))
    }
}
