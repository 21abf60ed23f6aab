import XCTest

@testable import ReCAME

final class ClassificationMetricsTests: XCTestCase {
    /// A hand-worked 3-class example:
    ///            predicted  a  b  c
    ///   true a              5  1  0
    ///   true b              2  2  0
    ///   true c              0  1  1
    func testMetricsMatchAHandComputedConfusionMatrix() {
        let truth = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2]
        let predicted = [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 2]
        let metrics = ClassificationMetrics(
            classNames: ["a", "b", "c"], truth: truth, predicted: predicted, trainCounts: [5000, 50, 10])
        XCTAssertEqual(metrics.confusion, [[5, 1, 0], [2, 2, 0], [0, 1, 1]])
        XCTAssertEqual(metrics.accuracy, 8.0 / 12.0, accuracy: 1e-12)
        let recall = metrics.recall.map { $0! }
        XCTAssertEqual(recall[0], 5.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(recall[1], 0.5, accuracy: 1e-12)
        XCTAssertEqual(recall[2], 0.5, accuracy: 1e-12)
        let precision = metrics.precision.map { $0! }
        XCTAssertEqual(precision[0], 5.0 / 7.0, accuracy: 1e-12)
        XCTAssertEqual(precision[1], 2.0 / 4.0, accuracy: 1e-12)
        XCTAssertEqual(precision[2], 1.0, accuracy: 1e-12)
        // F1 a = 2·(5/7)(5/6)/(5/7+5/6) = 10/13; b = 0.5; c = 2/3.
        XCTAssertEqual(metrics.macroF1, (10.0 / 13.0 + 0.5 + 2.0 / 3.0) / 3.0, accuracy: 1e-12)
        XCTAssertEqual(metrics.balancedAccuracy, (5.0 / 6.0 + 0.5 + 0.5) / 3.0, accuracy: 1e-12)
        XCTAssertEqual(metrics.recall(of: .head)!, 5.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(metrics.recall(of: .many)!, 5.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(metrics.recall(of: .medium)!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(metrics.recall(of: .few)!, 0.5, accuracy: 1e-12)
    }

    func testClassesAbsentOrNeverPredicted() {
        let metrics = ClassificationMetrics(
            classNames: ["a", "b", "c"], truth: [0, 0, 1], predicted: [0, 0, 0], trainCounts: [200, 150, 120])
        XCTAssertNil(metrics.recall[2], "class c has no support")
        XCTAssertEqual(metrics.precision[1], 0, "b was missed: precision 0, not undefined")
        XCTAssertNil(metrics.precision[2])
        XCTAssertNil(metrics.recall(of: .few))
        XCTAssertEqual(metrics.macroF1, (0.8 + 0) / 2, accuracy: 1e-12)
    }
}
