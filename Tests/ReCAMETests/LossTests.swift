import Foundation
import ReCAME
import Tensor
import XCTest

final class LossTests: XCTestCase {
    private let counts = [500, 200, 100, 50, 20, 10, 8, 6, 5, 4, 3, 2]

    /// Random expert outputs for B = 6 samples, 12 classes, 3 experts, features spread so that some
    /// different-class pairs sit inside the margin of 20 and some outside.
    private func sampleOutputs(seed: UInt64) -> [ExpertOutput] {
        var generator = SeededGenerator(seed: seed)
        return (0..<3).map { _ in
            ExpertOutput(
                logits: GradientCheck.randomTensor([6, 12], generator: &generator, scale: 2),
                features: GradientCheck.randomTensor([6, 5], generator: &generator, scale: 6))
        }
    }

    private let labels = [0, 3, 3, 11, 0, 7]

    private func total(_ loss: ReCAMELoss, _ outputs: [ExpertOutput]) throws -> Double {
        try loss.evaluate(outputs: outputs, labels: labels).terms.total
    }

    private func assertGradients(
        _ configuration: LossConfiguration, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let loss = try ReCAMELoss(configuration: configuration, classCounts: counts)
        let outputs = sampleOutputs(seed: 21)
        let result = try loss.evaluate(outputs: outputs, labels: labels)
        for k in 0..<outputs.count {
            let numericLogits = try GradientCheck.numericalGradient(at: outputs[k].logits, epsilon: 1e-3) {
                var probe = outputs
                probe[k].logits = $0
                return try total(loss, probe)
            }
            XCTAssertLessThan(
                try GradientCheck.relativeError(result.logitsGradients[k], numericLogits, floor: 1e-4), 1e-2,
                "logits of expert \(k)", file: file, line: line)
            let numericFeatures = try GradientCheck.numericalGradient(
                at: outputs[k].features, epsilon: 1e-3
            ) {
                var probe = outputs
                probe[k].features = $0
                return try total(loss, probe)
            }
            let featureGradient = result.featuresGradients[k] ?? Tensor(zeros: outputs[k].features.shape)
            XCTAssertLessThan(
                try GradientCheck.relativeError(featureGradient, numericFeatures, floor: 1e-4), 1e-2,
                "features of expert \(k)", file: file, line: line)
        }
    }

    private let off = LossConfiguration(
        logitAdjustment: true, crossEntropyWeight: 0, hardCategoryWeight: 0, contrastiveWeight: 0,
        compactnessWeight: 0, distillationWeight: 0, hardCategoryDistillationWeight: 0)

    func testGradientOfEachTermAndTheTotal() throws {
        var ce = off
        ce.crossEntropyWeight = 1
        try assertGradients(ce)
        var hcm = off
        hcm.hardCategoryWeight = 1
        try assertGradients(hcm)
        var contrastive = off
        contrastive.contrastiveWeight = 0.05
        try assertGradients(contrastive)
        var compactness = off
        compactness.compactnessWeight = 0.05
        try assertGradients(compactness)
        var nbod = off
        nbod.distillationWeight = 0.6
        try assertGradients(nbod)
        var nbodHCM = off
        nbodHCM.hardCategoryDistillationWeight = 0.6
        try assertGradients(nbodHCM)
        try assertGradients(.paper)
        try assertGradients(.crossEntropyOnly)
    }

    func testTermValuesMatchTheDefinitions() throws {
        let outputs = sampleOutputs(seed: 22)
        let loss = try ReCAMELoss(configuration: .paper, classCounts: counts)
        let terms = try loss.evaluate(outputs: outputs, labels: labels).terms
        let logPrior = counts.map { Float(log(Double($0))) }
        let batch = labels.count

        func balanced(_ k: Int) throws -> Tensor {
            var z = outputs[k].logits
            for n in 0..<batch { for c in 0..<12 { z[n, c] += logPrior[c] } }
            return z
        }
        // HCM mask: expert 0's raw logits, true class forced in, top 9 of 12 kept.
        var mask = Tensor(zeros: [batch, 12])
        for n in 0..<batch {
            var row = (0..<12).map { (c: $0, v: outputs[0].logits[n, $0]) }
            row[labels[n]].v = .infinity
            for entry in row.sorted(by: { $0.v > $1.v }).prefix(9) { mask[n, entry.c] = 1 }
        }
        func masked(_ k: Int) throws -> Tensor {
            var z = try balanced(k)
            for i in 0..<z.count { z[flat: i] *= mask[flat: i] }
            return z
        }
        var ce = 0.0
        var hcm = 0.0
        var contrastive = 0.0
        var compactness = 0.0
        for k in 0..<3 {
            ce += try CrossEntropy.lossAndGradient(logits: balanced(k), labels: labels).loss
            hcm += try CrossEntropy.lossAndGradient(logits: masked(k), labels: labels).loss
            let d = try PairwiseDistance.distances(outputs[k].features)
            for i in 0..<batch {
                for j in (i + 1)..<batch {
                    let distance = Double(d[i, j])
                    if labels[i] == labels[j] {
                        contrastive += distance
                        compactness += distance
                    } else {
                        contrastive += max(0, 20 - distance)
                    }
                }
            }
        }
        contrastive /= Double(batch * batch)
        compactness /= Double(batch * batch)
        var nbod = 0.0
        var nbodHCM = 0.0
        for i in 0..<3 {
            for j in 0..<3 where i != j {
                nbod += try KLDivergence.lossAndGradients(targetLogits: balanced(j), inputLogits: balanced(i)).loss
                nbodHCM += try KLDivergence.lossAndGradients(targetLogits: masked(j), inputLogits: masked(i)).loss
            }
        }
        nbod /= 2
        nbodHCM /= 2
        XCTAssertEqual(terms.crossEntropy, ce, accuracy: 1e-5)
        XCTAssertEqual(terms.hardCategory, hcm, accuracy: 1e-5)
        XCTAssertEqual(terms.contrastive, contrastive, accuracy: 1e-5)
        XCTAssertEqual(terms.compactness, compactness, accuracy: 1e-5)
        XCTAssertEqual(terms.distillation, nbod, accuracy: 1e-5)
        XCTAssertEqual(terms.hardCategoryDistillation, nbodHCM, accuracy: 1e-5)
        XCTAssertGreaterThan(contrastive, compactness, "some different-class pairs are inside the margin")
        let expected =
            ce + hcm + 0.05 * contrastive + 0.05 * 0.0125 * compactness + 0.6 * nbod + 0.6 * nbodHCM
        XCTAssertEqual(terms.total, expected, accuracy: 1e-5)
    }

    func testSwitchedOffTermsAreNotComputed() throws {
        let loss = try ReCAMELoss(configuration: .crossEntropyOnly, classCounts: counts)
        let result = try loss.evaluate(outputs: sampleOutputs(seed: 23), labels: labels)
        XCTAssertEqual(result.terms.hardCategory, 0)
        XCTAssertEqual(result.terms.distillation, 0)
        XCTAssertEqual(result.terms.contrastive, 0)
        XCTAssertEqual(result.terms.total, result.terms.crossEntropy)
        XCTAssertTrue(result.featuresGradients.allSatisfy { $0 == nil })
    }

    func testRejectsBadInputs() throws {
        XCTAssertThrowsError(try ReCAMELoss(configuration: .paper, classCounts: [10, 0, 3]))
        XCTAssertNoThrow(try ReCAMELoss(configuration: .crossEntropyOnly, classCounts: [10, 0, 3]))
        var negative = LossConfiguration.paper
        negative.contrastiveWeight = -1
        XCTAssertThrowsError(try ReCAMELoss(configuration: negative, classCounts: counts))
        let loss = try ReCAMELoss(configuration: .paper, classCounts: counts)
        XCTAssertThrowsError(try loss.evaluate(outputs: sampleOutputs(seed: 1), labels: [0, 1, 2, 3, 4, 12]))
        XCTAssertThrowsError(try loss.evaluate(outputs: sampleOutputs(seed: 1), labels: [0, 1]))
        XCTAssertThrowsError(try loss.evaluate(outputs: [], labels: labels))
    }
}
