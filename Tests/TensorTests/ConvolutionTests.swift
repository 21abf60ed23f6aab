import Tensor
import XCTest

final class ConvolutionTests: XCTestCase {
    /// Direct convolution in double precision, the reference for the im2col + GEMM path.
    private func referenceConvolution(_ x: Tensor, _ conv: Conv2d) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (k, s, p) = (conv.kernelSize, conv.stride, conv.padding)
        let outH = (h + 2 * p - k) / s + 1
        let outW = (w + 2 * p - k) / s + 1
        var y = Tensor(zeros: [n, conv.outputChannels, outH, outW])
        for image in 0..<n {
            for o in 0..<conv.outputChannels {
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        var sum = Double(conv.bias?.value[flat: o] ?? 0)
                        for ci in 0..<c {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    let iy = oy * s - p + ky
                                    let ix = ox * s - p + kx
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    sum += Double(x[image, ci, iy, ix]) * Double(conv.weight.value[o, ci, ky, kx])
                                }
                            }
                        }
                        y[image, o, oy, ox] = Float(sum)
                    }
                }
            }
        }
        return y
    }

    func testForwardMatchesDirectConvolution() throws {
        var generator = SeededGenerator(seed: 1)
        // (kernel, stride, padding, size, batch): the 16×16 batch of 10 spans two GEMM groups.
        let cases = [
            (3, 1, 1, 5, 3), (3, 2, 1, 7, 2), (1, 2, 0, 6, 2), (3, 1, 0, 4, 1), (3, 1, 1, 16, 10), (5, 1, 2, 6, 2),
            (1, 1, 0, 3, 2), (3, 1, 1, 1, 2),
        ]
        for (kernel, stride, padding, size, batch) in cases {
            let conv = try Conv2d(
                inputChannels: 2, outputChannels: 3, kernelSize: kernel, stride: stride, padding: padding,
                bias: true, generator: &generator)
            let x = GradientCheck.randomTensor([batch, 2, size, size + 1], generator: &generator)
            let y = try conv.forward(x, training: true)
            let reference = referenceConvolution(x, conv)
            XCTAssertEqual(y.shape, reference.shape)
            XCTAssertLessThan(try y.maximumAbsoluteDifference(to: reference), 1e-4, "case \(kernel) \(stride)")
        }
    }

    func testGradients() throws {
        var generator = SeededGenerator(seed: 2)
        let checker = LayerGradientChecker()
        for (kernel, stride, padding, bias) in [(3, 1, 1, false), (3, 2, 1, true), (1, 2, 0, false), (5, 1, 2, false)] {
            let conv = try Conv2d(
                inputChannels: 2, outputChannels: 3, kernelSize: kernel, stride: stride, padding: padding,
                bias: bias, generator: &generator)
            let x = GradientCheck.randomTensor([2, 2, 5, 4], generator: &generator)
            try checker.check(conv, input: x)
        }
    }

    func testGradientsAcrossGroups() throws {
        var generator = SeededGenerator(seed: 3)
        let conv = try Conv2d(
            inputChannels: 1, outputChannels: 2, kernelSize: 3, stride: 1, padding: 1,
            generator: &generator)
        // 16×16 maps: 8 images a GEMM group, so a batch of 9 takes two groups.
        let x = GradientCheck.randomTensor([9, 1, 16, 16], generator: &generator)
        let weights = GradientCheck.randomTensor([9, 2, 16, 16], generator: &generator)
        _ = try conv.forward(x, training: true)
        conv.weight.zeroGradient()
        let dx = try conv.backward(weights)
        let numericWeight = try GradientCheck.numericalGradient(of: conv.weight, epsilon: 1e-2) {
            GradientCheck.projection(try conv.forward(x, training: true), onto: weights)
        }
        XCTAssertLessThan(try GradientCheck.relativeError(conv.weight.gradient, numericWeight), 1e-2)
        // The input gradient of the last image comes from the second group.
        var probe = x
        let index = 8 * 256 + 17
        probe[flat: index] += 0.01
        let plus = GradientCheck.projection(try conv.forward(probe, training: true), onto: weights)
        probe[flat: index] -= 0.02
        let minus = GradientCheck.projection(try conv.forward(probe, training: true), onto: weights)
        XCTAssertEqual(Double(dx[flat: index]), (plus - minus) / 0.02, accuracy: 1e-2)
    }

    func testRejectsWrongChannelsAndTinyInputs() throws {
        var generator = SeededGenerator(seed: 4)
        let conv = try Conv2d(
            inputChannels: 3, outputChannels: 4, kernelSize: 3, generator: &generator)
        XCTAssertThrowsError(try conv.forward(Tensor(zeros: [1, 2, 5, 5]), training: false))
        XCTAssertThrowsError(try conv.forward(Tensor(zeros: [1, 3, 2, 5]), training: false))
        XCTAssertThrowsError(try conv.forward(Tensor(zeros: [3, 5, 5]), training: false))
        XCTAssertThrowsError(try conv.backward(Tensor(zeros: [1, 4, 3, 3])))
        XCTAssertThrowsError(
            try Conv2d(inputChannels: 0, outputChannels: 4, kernelSize: 3, generator: &generator))
    }

    func testKaimingInitialisationIsSeededAndScaled() throws {
        var a = SeededGenerator(seed: 9)
        var b = SeededGenerator(seed: 9)
        let first = try Conv2d(inputChannels: 16, outputChannels: 64, kernelSize: 3, generator: &a)
        let second = try Conv2d(inputChannels: 16, outputChannels: 64, kernelSize: 3, generator: &b)
        XCTAssertEqual(first.weight.value, second.weight.value)
        var squares = 0.0
        for value in first.weight.value.scalars { squares += Double(value) * Double(value) }
        let variance = squares / Double(first.weight.value.count)
        let expected = 2.0 / Double(64 * 9)
        XCTAssertEqual(variance, expected, accuracy: 0.1 * expected)
    }
}
