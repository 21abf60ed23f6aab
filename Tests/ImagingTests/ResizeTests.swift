import XCTest

@testable import Imaging

final class ResizeTests: XCTestCase {
    func testConstantImageStaysConstantAtAnySize() throws {
        let colour: [UInt8] = [10, 200, 77]
        let image = try Image(
            width: 37, height: 23, channels: 3, pixels: Array((0..<(37 * 23)).map { _ in colour }.joined()))
        for (width, height) in [(5, 3), (37, 23), (100, 61), (12, 80), (80, 12), (1, 1)] {
            let resized = try image.resized(width: width, height: height)
            XCTAssertEqual([resized.width, resized.height, resized.channels], [width, height, 3])
            XCTAssertEqual(
                resized.pixels, Array((0..<(width * height)).map { _ in colour }.joined()), "\(width)x\(height)")
        }
    }

    func testHalvingAveragesEachTwoByTwoBlock() throws {
        let source = TestImages.noise(width: 8, height: 6, channels: 3, seed: 11)
        let half = try source.resized(width: 4, height: 3)
        for y in 0..<3 {
            for x in 0..<4 {
                for c in 0..<3 {
                    let sum = [(0, 0), (1, 0), (0, 1), (1, 1)].reduce(0) { total, offset in
                        total + Int(source[2 * x + offset.0, 2 * y + offset.1, c])
                    }
                    XCTAssertEqual(Int(half[x, y, c]), Int((Double(sum) / 4).rounded()), "(\(x), \(y), \(c))")
                }
            }
        }
    }

    func testNonIntegerShrinkWeighsPartialPixelsByArea() throws {
        // 3 -> 2: the outputs cover [0, 1.5) and [1.5, 3): a + b/2 and b/2 + c, over 1.5.
        let row = try Image(width: 3, height: 1, channels: 1, pixels: [30, 90, 150])
        let shrunk = try row.resized(width: 2, height: 1)
        XCTAssertEqual(shrunk.pixels, [50, 130])
    }

    func testGrowthInterpolatesBilinearlyAndKeepsCorners() throws {
        let pair = try Image(width: 2, height: 1, channels: 1, pixels: [0, 100])
        XCTAssertEqual(try pair.resized(width: 4, height: 1).pixels, [0, 25, 75, 100])
        XCTAssertEqual(
            try pair.resized(width: 4, height: 3).pixels, Array(repeating: [0, 25, 75, 100], count: 3).flatMap { $0 })

        let source = TestImages.noise(width: 3, height: 2, channels: 3, seed: 12)
        let grown = try source.resized(width: 17, height: 11)
        for (sx, sy, gx, gy) in [(0, 0, 0, 0), (2, 0, 16, 0), (0, 1, 0, 10), (2, 1, 16, 10)] {
            for c in 0..<3 { XCTAssertEqual(grown[gx, gy, c], source[sx, sy, c], "corner (\(gx), \(gy))") }
        }
    }

    func testAxesAreResizedIndependently() throws {
        // Shrink x by two (pairs averaged), grow y by two (rows interpolated).
        let source = try Image(width: 4, height: 2, channels: 1, pixels: [0, 40, 100, 100, 200, 240, 60, 60])
        let resized = try source.resized(width: 2, height: 4)
        // Column means: row 0 -> 20, 100; row 1 -> 220, 60. Rows at -0.25 (clamped), 0.25, 0.75, 1.25.
        XCTAssertEqual(resized.pixels, [20, 100, 70, 90, 170, 70, 220, 60])
    }

    func testChannelConversionUsesLumaAndReplication() throws {
        let rgb = try Image(width: 3, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 10, 20, 30])
        let gray = try rgb.converted(toChannels: 1)
        XCTAssertEqual(gray.channels, 1)
        let luma: Double = 0.299 * 10 + 0.587 * 20 + 0.114 * 30
        XCTAssertEqual(gray.pixels, [76, 150, UInt8(luma.rounded())])
        let back = try gray.converted(toChannels: 3)
        XCTAssertEqual(back.pixels, [76, 76, 76, 150, 150, 150, 18, 18, 18])
        XCTAssertEqual(try rgb.converted(toChannels: 3), rgb)
        XCTAssertThrowsError(try rgb.converted(toChannels: 2))
        XCTAssertThrowsError(try rgb.resized(width: 0, height: 4))
    }
}
