import ReCAME
import Tensor
import XCTest

final class EvaluationReportTests: XCTestCase {
    /// Logits whose arg-max gives a known confusion matrix, and every number worked out by hand.
    func testJSONFromLogitsMatchesAHandComputedConfusionMatrix() throws {
        // truth:     0 0 0 0 1 1 2 2
        // predicted: 0 0 0 1 1 0 2 1
        let truth = [0, 0, 0, 0, 1, 1, 2, 2]
        let predicted = [0, 0, 0, 1, 1, 0, 2, 1]
        var logits = Tensor(zeros: [8, 3])
        for (row, guess) in predicted.enumerated() { logits[row, guess] = 5 }
        let metrics = try Evaluator.metrics(
            logits: logits, labels: truth, classNames: ["a", "b", "c"], trainCounts: [500, 50, 5])
        XCTAssertEqual(metrics.confusion, [[3, 1, 0], [1, 1, 0], [0, 1, 1]])
        guard case .object(let json) = EvaluationReport(metrics: metrics).json else { return XCTFail("not an object") }
        XCTAssertEqual(json["accuracy"], .number(5.0 / 8))
        // recall a 3/4, b 1/2, c 1/2; precision a 3/4, b 1/3, c 1/1.
        XCTAssertEqual(json["per_class_recall"], .array([.number(0.75), .number(0.5), .number(0.5)]))
        XCTAssertEqual(json["balanced_accuracy"], .number((0.75 + 0.5 + 0.5) / 3))
        let f1 = [0.75, 2 * (1.0 / 3) * 0.5 / (1.0 / 3 + 0.5), 2 * 1 * 0.5 / 1.5]
        guard case .number(let macroF1) = json["macro_f1"] else { return XCTFail("no macro_f1") }
        XCTAssertEqual(macroF1, f1.reduce(0, +) / 3, accuracy: 1e-12)
        XCTAssertEqual(json["many_recall"], .number(0.75))
        XCTAssertEqual(json["medium_recall"], .number(0.5))
        XCTAssertEqual(json["few_recall"], .number(0.5))
        XCTAssertEqual(json["head_recall"], .null)
        XCTAssertEqual(
            json["confusion"],
            .array([[3, 1, 0], [1, 1, 0], [0, 1, 1]].map { .array($0.map { .integer(Int64($0)) }) }))
        XCTAssertEqual(EvaluationReport.group(trainCount: 101), "many")
        XCTAssertEqual(EvaluationReport.group(trainCount: 20), "medium")
        XCTAssertEqual(EvaluationReport.group(trainCount: 19), "few")
    }

    func testMismatchedInputsAreRefused() {
        XCTAssertThrowsError(
            try Evaluator.metrics(
                logits: Tensor(zeros: [2, 3]), labels: [0], classNames: ["a", "b", "c"], trainCounts: nil))
        XCTAssertThrowsError(
            try Evaluator.metrics(
                logits: Tensor(zeros: [1, 3]), labels: [0], classNames: ["a", "b", "c"], trainCounts: [1, 2]))
    }
}
