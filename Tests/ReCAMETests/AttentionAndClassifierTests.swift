import ReCAME
import Tensor
import XCTest

final class AttentionAndClassifierTests: XCTestCase {
    func testRegionalAttentionScalesEachQuadrantByItsOwnAttention() throws {
        var generator = SeededGenerator(seed: 1)
        let rca = try RegionalChannelAttention(channels: 2, hidden: 4, generator: &generator)
        // A 5×3 map: quadrants rows [0, 2) / [2, 5), columns [0, 1) / [1, 3).
        let x = GradientCheck.randomTensor([1, 2, 5, 3], generator: &generator)
        let y = try rca.forward(x, training: true)
        func mlp(_ v: [Float]) throws -> [Float] {
            let t = try Tensor(shape: [1, 2], scalars: v)
            let hidden = try matrixProduct(t, rca.fc1.weight.value, transposeB: true)
            var h = try hidden.adding(rca.fc1.bias!.value.reshaped(to: [1, 4]))
            for i in 0..<h.count { h[flat: i] = max(h[flat: i], 0) }
            let out = try matrixProduct(h, rca.fc2.weight.value, transposeB: true)
            return try out.adding(rca.fc2.bias!.value.reshaped(to: [1, 2])).scalars
        }
        let quadrants = [(0, 2, 0, 1), (0, 2, 1, 3), (2, 5, 0, 1), (2, 5, 1, 3)]
        for (r0, r1, c0, c1) in quadrants {
            var averages = [Float](repeating: 0, count: 2)
            var maxima = [Float](repeating: -.infinity, count: 2)
            for c in 0..<2 {
                for r in r0..<r1 {
                    for col in c0..<c1 {
                        averages[c] += x[0, c, r, col] / Float((r1 - r0) * (c1 - c0))
                        maxima[c] = max(maxima[c], x[0, c, r, col])
                    }
                }
            }
            let a = try mlp(averages)
            let m = try mlp(maxima)
            for c in 0..<2 {
                let scale = 1 / (1 + exp(-(a[c] + m[c])))
                for r in r0..<r1 {
                    for col in c0..<c1 {
                        XCTAssertEqual(y[0, c, r, col], x[0, c, r, col] * scale, accuracy: 1e-5)
                    }
                }
            }
        }
    }

    func testRegionalAttentionGradients() throws {
        var generator = SeededGenerator(seed: 2)
        let rca = try RegionalChannelAttention(channels: 3, hidden: 4, generator: &generator)
        // Distinct values keep each quadrant's arg-max fixed under the ±ε perturbation.
        var x = Tensor(zeros: [2, 3, 4, 5])
        var values = (0..<x.count).map { Float($0) * 0.05 - 3 }
        values.shuffle(using: &generator)
        for i in 0..<x.count { x[flat: i] = values[i] }
        try assertLayerGradients(rca, input: x, training: true, epsilon: 1e-3)
        XCTAssertThrowsError(try rca.forward(Tensor(zeros: [1, 3, 1, 4]), training: true))
        XCTAssertThrowsError(try rca.forward(Tensor(zeros: [1, 2, 4, 4]), training: true))
    }

    func testCosineClassifier() throws {
        var generator = SeededGenerator(seed: 3)
        let classifier = try CosineClassifier(features: 5, classes: 3, scale: 16, generator: &generator)
        classifier.bias.value = try Tensor(shape: [3], scalars: [0.5, 0, -0.5])
        let f = GradientCheck.randomTensor([4, 5], generator: &generator)
        let z = try classifier.forward(f, training: true)
        for n in 0..<4 {
            for c in 0..<3 {
                var dot: Float = 0
                var ff: Float = 0
                var ww: Float = 0
                for i in 0..<5 {
                    dot += f[n, i] * classifier.weight.value[c, i]
                    ff += f[n, i] * f[n, i]
                    ww += classifier.weight.value[c, i] * classifier.weight.value[c, i]
                }
                let expected = 16 * dot / (ff.squareRoot() * ww.squareRoot()) + classifier.bias.value[flat: c]
                XCTAssertEqual(z[n, c], expected, accuracy: 1e-4)
            }
        }
        try assertLayerGradients(classifier, input: f, training: true, epsilon: 1e-3)
    }

    func testBasicBlockGradientsThroughAttentionAndShortcut() throws {
        var generator = SeededGenerator(seed: 4)
        let network = try ReCAMENetwork(architecture: tinyArchitecture(experts: 1), seed: 5)
        // Stage 2 block 0 has the projection shortcut (4 → 8 channels, stride 2).
        let block = network.experts[0].stages[1][0]
        XCTAssertNotNil(block.shortcutConv)
        let x = GradientCheck.randomTensor([2, 4, 6, 6], generator: &generator)
        // Small steps: larger ones cross ReLU kinks in the block and in the attention MLP.
        try assertLayerGradients(block, input: x, training: false, epsilon: 2e-3)
    }
}
