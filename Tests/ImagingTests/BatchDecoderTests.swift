import XCTest

@testable import Imaging

final class BatchDecoderTests: XCTestCase {
    private func encodedBatch() throws -> [[UInt8]] {
        var batch = [[UInt8]]()
        for index in 0..<7 {
            let image = TestImages.noise(
                width: 9 + index, height: 7, channels: index % 2 == 0 ? 3 : 1, seed: UInt64(index))
            batch.append(index % 3 == 0 ? try ImageEncoder.jpeg(image) : try ImageEncoder.png(image))
        }
        batch[4] = Array("not an image".utf8)
        return batch
    }

    func testEveryThreadCountFillsTheSameSlotsAndNamesTheBrokenOne() throws {
        let preprocessor = try Preprocessor(
            height: 5, width: 6, channels: 3, mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4])
        let batch = try encodedBatch()
        let size = preprocessor.elementCount
        var expected = [Float](repeating: 0, count: batch.count * size)
        for (slot, bytes) in batch.enumerated() where slot != 4 {
            try preprocessor.process(bytes, into: &expected, at: slot * size)
        }
        for threads in [1, 2, 3, 16] {
            let decoder = try BatchDecoder(preprocessor: preprocessor, threads: threads)
            // One slot more than the batch: the decoder must leave what it was not asked to fill.
            var buffer = [Float](repeating: .nan, count: (batch.count + 1) * size)
            let errors = try buffer.withUnsafeMutableBufferPointer { slots in
                try decoder.decode(count: batch.count, into: slots) { slot in
                    try ImageDecoder.decode(batch[slot], maxPixels: preprocessor.maxPixels)
                }
            }
            XCTAssertEqual(errors.map { $0 == nil }, [true, true, true, true, false, true, true], "threads \(threads)")
            for slot in batch.indices where slot != 4 {
                XCTAssertEqual(
                    buffer[(slot * size)..<((slot + 1) * size)], expected[(slot * size)..<((slot + 1) * size)],
                    "threads \(threads), slot \(slot)")
            }
            XCTAssertTrue(buffer[(batch.count * size)...].allSatisfy(\.isNaN), "threads \(threads)")
        }
    }

    func testRefusesAShortBufferAndZeroThreads() throws {
        let preprocessor = try Preprocessor(height: 2, width: 2, channels: 1, mean: [0], std: [1])
        XCTAssertThrowsError(try BatchDecoder(preprocessor: preprocessor, threads: 0))
        let decoder = try BatchDecoder(preprocessor: preprocessor, threads: 2)
        var buffer = [Float](repeating: 0, count: 7)
        XCTAssertThrowsError(
            try buffer.withUnsafeMutableBufferPointer { slots in
                try decoder.decode(count: 2, into: slots) { _ in
                    try Image(width: 1, height: 1, channels: 1, pixels: [0])
                }
            }
        ) { error in
            XCTAssertTrue("\(error)".contains("needs 8 floats"), "\(error)")
        }
        let none = try buffer.withUnsafeMutableBufferPointer { slots in
            try decoder.decode(count: 0, into: slots) { _ in throw ImageError.invalidArgument("never called") }
        }
        XCTAssertTrue(none.isEmpty)
    }
}
