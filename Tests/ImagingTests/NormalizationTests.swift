import XCTest

@testable import Imaging

final class NormalizationTests: XCTestCase {
    func testWritesPlanarNormalisedValuesAtAnOffset() throws {
        let image = try Image(width: 2, height: 1, channels: 3, pixels: [0, 51, 255, 255, 102, 0])
        let normalization = try Normalization(mean: [0.5, 0.2, 0], std: [0.5, 0.1, 1])
        var batch = [Float](repeating: -99, count: 10)
        try normalization.write(image, into: &batch, at: 2)
        let expected: [Float] = [-1, 1, 0, 2, 1, 0]
        XCTAssertEqual(batch[0..<2], [-99, -99])
        for (got, want) in zip(batch[2..<8], expected) { XCTAssertEqual(got, want, accuracy: 1e-5) }
        XCTAssertEqual(batch[8..<10], [-99, -99])
        XCTAssertThrowsError(try normalization.write(image, into: &batch, at: 5))
        XCTAssertThrowsError(try normalization.write(try image.converted(toChannels: 1), into: &batch, at: 0))
    }

    func testRejectsInvalidParameters() {
        XCTAssertThrowsError(try Normalization(mean: [0.5], std: [0]))
        XCTAssertThrowsError(try Normalization(mean: [0.5, 0.5], std: [1, 1]))
        XCTAssertThrowsError(try Normalization(mean: [0.5, 0.5, 0.5], std: [1, 1]))
        XCTAssertThrowsError(try Normalization(mean: [.nan], std: [1]))
        XCTAssertThrowsError(try Normalization(mean: [0], std: [.infinity]))
    }

    func testPreprocessorDecodesConvertsResizesAndNormalises() throws {
        let preprocessor = try Preprocessor(
            height: 4, width: 6, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1])
        XCTAssertEqual(preprocessor.elementCount, 72)
        let gray = try Image(width: 3, height: 2, channels: 1, pixels: [100, 100, 100, 100, 100, 100])
        let tensor = try preprocessor.tensor(from: ImageEncoder.png(gray))
        let value: Float = 100 / 255
        for (channel, std) in [Float(0.25), 0.5, 1].enumerated() {
            for index in 0..<24 {
                XCTAssertEqual(tensor[channel * 24 + index], (value - 0.5) / std, accuracy: 1e-5)
            }
        }
    }

    func testPreprocessorMatchesTheStepByStepPipeline() throws {
        let source = TestImages.smooth(width: 50, height: 30, channels: 3)
        let encoded = try ImageEncoder.png(source)
        let preprocessor = try Preprocessor(height: 12, width: 20, channels: 1, mean: [0.4], std: [0.2])
        var batch = [Float](repeating: .nan, count: 3 * preprocessor.elementCount)
        try preprocessor.process(encoded, into: &batch, at: preprocessor.elementCount)
        let stepwise = try source.converted(toChannels: 1).resized(width: 20, height: 12)
        var expected = [Float](repeating: 0, count: preprocessor.elementCount)
        try Normalization(mean: [0.4], std: [0.2]).write(stepwise, into: &expected, at: 0)
        for index in 0..<preprocessor.elementCount {
            // The stepwise path rounds twice to whole samples; the fused one does not round at all.
            XCTAssertEqual(batch[preprocessor.elementCount + index], expected[index], accuracy: 1.01 / 255 / 0.2)
        }
        XCTAssertTrue(batch[0..<preprocessor.elementCount].allSatisfy { $0.isNaN })
        XCTAssertTrue(batch[(2 * preprocessor.elementCount)...].allSatisfy { $0.isNaN })
    }

    func testPreprocessorRefusesBadInputAndOversizedImages() throws {
        XCTAssertThrowsError(try Preprocessor(height: 4, width: 4, channels: 3, mean: [0], std: [1]))
        XCTAssertThrowsError(try Preprocessor(height: 0, width: 4, channels: 1, mean: [0], std: [1]))
        let preprocessor = try Preprocessor(height: 4, width: 4, channels: 1, mean: [0], std: [1], maxPixels: 100)
        var buffer = [Float](repeating: 0, count: 16)
        XCTAssertThrowsError(try preprocessor.process([UInt8]([1, 2, 3]), into: &buffer, at: 0))
        let big = try ImageEncoder.png(TestImages.smooth(width: 11, height: 10, channels: 1))
        XCTAssertThrowsError(try preprocessor.process(big, into: &buffer, at: 0)) { error in
            XCTAssertEqual(error as? ImageError, .tooLarge(width: 11, height: 10, limit: 100))
        }
        XCTAssertThrowsError(try preprocessor.process(big, into: &buffer, at: 1))
    }
}
