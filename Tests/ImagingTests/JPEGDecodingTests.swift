import XCTest

@testable import Imaging

final class JPEGDecodingTests: XCTestCase {
    /// Mean and maximum absolute sample difference.
    private func difference(_ a: Image, _ b: Image) -> (mean: Double, max: Int) {
        XCTAssertEqual(a.pixels.count, b.pixels.count)
        var total = 0
        var largest = 0
        for (x, y) in zip(a.pixels, b.pixels) {
            let delta = abs(Int(x) - Int(y))
            total += delta
            largest = max(largest, delta)
        }
        return (Double(total) / Double(max(a.pixels.count, 1)), largest)
    }

    func testGrayRoundTripStaysWithinJPEGError() throws {
        let original = TestImages.smooth(width: 64, height: 48, channels: 1)
        let encoded = try ImageEncoder.jpeg(original, quality: 95)
        XCTAssertEqual(ImageFormat.sniff(encoded), .jpeg)
        let header = try ImageDecoder.header(of: encoded)
        XCTAssertEqual(header, ImageHeader(format: .jpeg, width: 64, height: 48, channels: 1, bitDepth: 8))
        let decoded = try ImageDecoder.decode(encoded)
        XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [64, 48, 1])
        let error = difference(original, decoded)
        XCTAssertLessThan(error.mean, 1.5)
        XCTAssertLessThanOrEqual(error.max, 6)
    }

    func testRGBRoundTripStaysWithinJPEGErrorAndQualityMatters() throws {
        let original = TestImages.smooth(width: 61, height: 45, channels: 3)
        let fine = try ImageDecoder.decode(ImageEncoder.jpeg(original, quality: 95))
        XCTAssertEqual([fine.width, fine.height, fine.channels], [61, 45, 3])
        let fineError = difference(original, fine)
        XCTAssertLessThan(fineError.mean, 2.5)
        XCTAssertLessThanOrEqual(fineError.max, 16)
        let coarse = try ImageDecoder.decode(ImageEncoder.jpeg(original, quality: 10))
        XCTAssertGreaterThan(difference(original, coarse).mean, fineError.mean)
    }

    func testProgressiveStreamsDecodeLikeBaselineOnes() throws {
        let original = TestImages.smooth(width: 45, height: 33, channels: 3)
        let baseline = try ImageDecoder.decode(ImageEncoder.jpeg(original, quality: 90))
        let progressiveBytes = try ImageEncoder.jpeg(original, quality: 90, progressive: true)
        XCTAssertNotEqual(progressiveBytes, try ImageEncoder.jpeg(original, quality: 90))
        let progressive = try ImageDecoder.decode(progressiveBytes)
        XCTAssertLessThanOrEqual(difference(baseline, progressive).max, 2)
        XCTAssertThrowsError(try ImageDecoder.decode(Array(progressiveBytes.prefix(progressiveBytes.count * 2 / 3))))
    }

    func testConcurrentDecodesAreIndependent() throws {
        let gray = TestImages.smooth(width: 30, height: 20, channels: 1)
        let files = try [
            ImageEncoder.jpeg(gray), ImageEncoder.png(gray), Array(try ImageEncoder.jpeg(gray).prefix(300)),
        ]
        let expected = try ImageDecoder.decode(files[0])
        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: 600) { index in
            let result = Result { try ImageDecoder.decode(files[index % 3]) }
            switch (index % 3, result) {
            case (0, .success(let image)) where image == expected: break
            case (1, .success(let image)) where image == gray: break
            case (2, .failure(ImageError.truncated(.jpeg, _))): break
            default: failures.add()
            }
        }
        XCTAssertEqual(failures.value, 0)
    }

    func testCMYKAndYCCKAreRefusedWithAClearError() throws {
        let width = 16
        let height = 8
        let pixels = (0..<(width * height * 4)).map { UInt8(($0 * 13) % 256) }
        for (layout, name) in [(JPEGCodec.Layout.cmyk, "CMYK"), (.ycck, "YCCK")] {
            let encoded = try JPEGCodec.encode(
                pixels: pixels, width: width, height: height, layout: layout, quality: 90)
            XCTAssertThrowsError(try ImageDecoder.decode(encoded)) { error in
                guard case ImageError.unsupported(.jpeg, let feature) = error else { return XCTFail("got \(error)") }
                XCTAssertTrue(feature.contains(name), feature)
                XCTAssertTrue("\(error)".contains(name))
            }
            XCTAssertThrowsError(try ImageDecoder.header(of: encoded))
        }
    }

    func testTruncatedAndCorruptStreamsAreErrors() throws {
        let valid = try ImageEncoder.jpeg(TestImages.smooth(width: 32, height: 32, channels: 3), quality: 80)
        for length in [3, 10, 100, valid.count / 2, valid.count - 2, valid.count - 1] {
            XCTAssertThrowsError(try ImageDecoder.decode(Array(valid.prefix(length)))) { error in
                guard case ImageError.truncated(.jpeg, _) = error else { return XCTFail("length \(length): \(error)") }
            }
        }
        // A marker in the middle of the entropy-coded data (RST0 where none is expected).
        var marker = valid
        marker.insert(contentsOf: [0xFF, 0xD0], at: valid.count - 40)
        XCTAssertThrowsError(try ImageDecoder.decode(marker)) { error in
            guard case ImageError.corrupt(.jpeg, let message) = error else { return XCTFail("got \(error)") }
            XCTAssertFalse(message.isEmpty)
        }
    }

    func testDecodesFromDataAndFiles() throws {
        let image = TestImages.smooth(width: 20, height: 10, channels: 3)
        let encoded = try ImageEncoder.jpeg(image)
        let fromData = try ImageDecoder.decode(Data(encoded))
        XCTAssertEqual(fromData, try ImageDecoder.decode(encoded))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("imaging-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("picture.jpg")
        try Data(encoded).write(to: file)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: file), fromData)
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: file, maxFileBytes: 100)) { error in
            guard case ImageError.unreadable(let path, _) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(path, file.path)
        }
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: directory.appendingPathComponent("missing.png"))) {
            error in
            guard case ImageError.unreadable = error else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: directory))
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}
