import ReCAME
import Tensor
import XCTest

final class TemperatureScalingTests: XCTestCase {
    /// Labels drawn from softmax(z / 2): the fitted temperature must come out near 2.
    func testRecoversTheTemperatureThatGeneratedTheLabels() throws {
        var generator = SeededGenerator(seed: 11)
        let (count, classes) = (4000, 4)
        var logits = Tensor(zeros: [count, classes])
        var labels = [Int]()
        for n in 0..<count {
            var row = [Double]()
            for c in 0..<classes {
                let value = 4 * generator.nextNormal()
                logits[n, c] = Float(value)
                row.append(value / 2)
            }
            let largest = row.max()!
            let weights = row.map { exp($0 - largest) }
            var draw = generator.nextUnitInterval() * weights.reduce(0, +)
            var label = 0
            while draw > weights[label] && label < classes - 1 {
                draw -= weights[label]
                label += 1
            }
            labels.append(label)
        }
        let fit = try TemperatureScaling.fit(logits: logits, labels: labels)
        XCTAssertEqual(fit.temperature, 2, accuracy: 0.25)
        XCTAssertLessThan(fit.nllAfter, fit.nllBefore)
        XCTAssertEqual(
            fit.nllAfter,
            TemperatureScaling.negativeLogLikelihood(logits: logits, labels: labels, temperature: fit.temperature),
            accuracy: 1e-12)
    }

    func testBadInputIsRefused() {
        XCTAssertThrowsError(try TemperatureScaling.fit(logits: Tensor(zeros: [2, 3]), labels: [0]))
        XCTAssertThrowsError(try TemperatureScaling.fit(logits: Tensor(zeros: [1, 3]), labels: [3]))
    }
}
