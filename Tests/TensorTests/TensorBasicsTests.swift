import Tensor
import XCTest

final class TensorBasicsTests: XCTestCase {
    func testShapeChecks() throws {
        XCTAssertThrowsError(try Tensor(shape: [2, 3], scalars: [1, 2]))
        XCTAssertThrowsError(try Tensor(shape: [-1], scalars: []))
        let t = try Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(t[1, 2], 5)
        XCTAssertEqual(try t.reshaped(to: [3, 2]).shape, [3, 2])
        XCTAssertThrowsError(try t.reshaped(to: [4, 2]))
        XCTAssertThrowsError(try t.checkShape([3, 2], "t")) { error in
            XCTAssertTrue("\(error)".contains("t: expected shape [3, 2]"))
        }
    }

    func testResizeReusesStorage() {
        var t = Tensor(zeros: [4, 4])
        t.resize(to: [2, 2])
        XCTAssertEqual(t.count, 4)
        t.resize(to: [3, 3])
        XCTAssertEqual(t.shape, [3, 3])
        XCTAssertEqual(t.count, 9)
    }

    func testGeneratorIsDeterministic() {
        var a = SeededGenerator(seed: 42)
        var b = SeededGenerator(seed: 42)
        var c = SeededGenerator(seed: 43)
        let first = (0..<5).map { _ in a.next() }
        XCTAssertEqual(first, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(first, (0..<5).map { _ in c.next() })
        var normal = SeededGenerator(seed: 1)
        let samples = (0..<20000).map { _ in normal.nextNormal() }
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }

    func testMatrixProductAndThreads() throws {
        let a = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = try Tensor(shape: [3, 1], scalars: [1, 0, -1])
        XCTAssertEqual(try matrixProduct(a, b).scalars, [-2, -2])
        XCTAssertEqual(try matrixProduct(a, a, transposeB: true).scalars, [14, 32, 32, 77])
        XCTAssertThrowsError(try matrixProduct(a, a))
        let previous = ComputeSettings.threads
        try ComputeSettings.setThreads(1)
        XCTAssertEqual(ComputeSettings.threads, 1)
        try ComputeSettings.setThreads(previous)
        XCTAssertThrowsError(try ComputeSettings.setThreads(0))
    }
}
