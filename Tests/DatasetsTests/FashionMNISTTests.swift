import XCTest

@testable import Datasets

final class FashionMNISTTests: XCTestCase {
    func testLongTailCountsFollowTheFormula() {
        XCTAssertEqual(
            FashionMNIST.longTailCounts(imbalance: 100), [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60])
        let extreme = FashionMNIST.longTailCounts(imbalance: 1000)
        XCTAssertEqual(extreme, [6000, 2784, 1292, 600, 278, 129, 60, 27, 12, 6])
        XCTAssertEqual(FashionMNIST.longTailCounts(imbalance: 1), [Int](repeating: 6000, count: 10))
    }

    func testLongTailedSplitsFromTheDebianFiles() throws {
        let splits = try FashionMNIST().longTailed(imbalance: 100, validationPerClass: 20)
        let expected = FashionMNIST.longTailCounts(imbalance: 100)
        // Only the head class (which uses all 6,000 of its images) loses its validation images.
        XCTAssertEqual(splits.trainCounts, [expected[0] - 20] + expected.dropFirst())
        XCTAssertEqual(splits.validation.classCounts, [Int](repeating: 20, count: 10))
        XCTAssertEqual(splits.test.count, 10_000)
        XCTAssertEqual(splits.test.classCounts, [Int](repeating: 1000, count: 10))
        XCTAssertTrue(Set(splits.train.identifiers).isDisjoint(with: splits.validation.identifiers))
        XCTAssertEqual(splits.train.height, 28)
        // File order: class c's kept images are its first n_c in the training file.
        let firstTail = try XCTUnwrap(splits.train.labels.firstIndex(of: 9))
        XCTAssertEqual(splits.train.identifiers[firstTail], try firstIdentifier(ofClass: 9))
    }

    func testBadRatioAndMissingDirectoryAreClearErrors() {
        XCTAssertThrowsError(try FashionMNIST().longTailed(imbalance: 0.5)) { error in
            XCTAssertTrue("\(error)".contains("imbalance ratio"), "\(error)")
        }
        XCTAssertThrowsError(try FashionMNIST(directory: "/nonexistent").load(part: "train")) { error in
            XCTAssertTrue("\(error)".contains("dataset-fashion-mnist"), "\(error)")
        }
    }

    private func firstIdentifier(ofClass label: Int) throws -> String {
        let full = try FashionMNIST().load(part: "train")
        return full.identifiers[try XCTUnwrap(full.labels.firstIndex(of: label))]
    }
}
