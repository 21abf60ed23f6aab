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
        let xs = x.scalars
        let ws = conv.weight.value.scalars
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
                                    sum +=
                                        Double(xs[((image * c + ci) * h + iy) * w + ix])
                                        * Double(ws[((o * c + ci) * k + ky) * k + kx])
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
        // (kernel, stride, padding, size, batch).
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

    /// Direct weight and input gradients in double precision for ∂L/∂y = `dy`.
    private func referenceBackward(_ x: Tensor, _ dy: Tensor, _ conv: Conv2d) -> (Tensor, Tensor) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (k, s, p) = (conv.kernelSize, conv.stride, conv.padding)
        let (outH, outW) = (dy.shape[2], dy.shape[3])
        let xs = x.scalars
        let ws = conv.weight.value.scalars
        var dw = [Double](repeating: 0, count: conv.weight.value.count)
        var dx = [Double](repeating: 0, count: x.count)
        for image in 0..<n {
            for o in 0..<conv.outputChannels {
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        let g = Double(dy.scalars[((image * conv.outputChannels + o) * outH + oy) * outW + ox])
                        for ci in 0..<c {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    let iy = oy * s - p + ky
                                    let ix = ox * s - p + kx
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let wIndex = ((o * c + ci) * k + ky) * k + kx
                                    let xIndex = ((image * c + ci) * h + iy) * w + ix
                                    dw[wIndex] += g * Double(xs[xIndex])
                                    dx[xIndex] += g * Double(ws[wIndex])
                                }
                            }
                        }
                    }
                }
            }
        }
        return (
            try! Tensor(shape: conv.weight.value.shape, scalars: dw.map(Float.init)),
            try! Tensor(shape: x.shape, scalars: dx.map(Float.init))
        )
    }

    func testForwardAndBackwardMatchDirectReferenceOnGroupsAndBands() throws {
        var generator = SeededGenerator(seed: 12)
        // (channels, kernel, stride, padding, height, width, batch). With 64 input channels a tile
        // holds 256 columns, so 17×18 and 40×40 maps are cut into row bands, 5×5 maps into groups.
        let cases = [
            (64, 3, 1, 1, 17, 18, 2), (64, 3, 2, 1, 40, 40, 1), (64, 1, 2, 0, 40, 38, 1), (64, 3, 1, 1, 5, 5, 12),
            (64, 5, 1, 2, 18, 17, 1), (3, 3, 1, 1, 9, 9, 3),
        ]
        for (channels, kernel, stride, padding, height, width, batch) in cases {
            let conv = try Conv2d(
                inputChannels: channels, outputChannels: 3, kernelSize: kernel, stride: stride, padding: padding,
                generator: &generator)
            let x = GradientCheck.randomTensor([batch, channels, height, width], generator: &generator)
            let y = try conv.forward(x, training: true)
            let label = "case \(channels) \(kernel) \(stride) \(padding) \(height)×\(width)"
            XCTAssertLessThan(try y.maximumAbsoluteDifference(to: referenceConvolution(x, conv)), 1e-3, label)
            let dy = GradientCheck.randomTensor(y.shape, generator: &generator)
            conv.weight.zeroGradient()
            let dx = try conv.backward(dy)
            let (referenceWeight, referenceInput) = referenceBackward(x, dy, conv)
            XCTAssertLessThan(try GradientCheck.relativeError(conv.weight.gradient, referenceWeight), 1e-5, label)
            XCTAssertLessThan(try GradientCheck.relativeError(dx, referenceInput), 1e-5, label)
        }
    }

    func testTileParallelismGivesTheSameResults() throws {
        // Groups (5×5 maps) and row bands (17×18 maps with 64 channels), on 1, 2 and 3 threads.
        for (channels, size, batch) in [(64, 5, 12), (64, 17, 3), (2, 6, 5)] {
            var generator = SeededGenerator(seed: 13)
            let conv = try Conv2d(
                inputChannels: channels, outputChannels: 4, kernelSize: 3, padding: 1, generator: &generator)
            let x = GradientCheck.randomTensor([batch, channels, size, size + 1], generator: &generator)
            let dy = GradientCheck.randomTensor([batch, 4, size, size + 1], generator: &generator)
            let y = try conv.forward(x, training: true)
            conv.weight.zeroGradient()
            let dx = try conv.backward(dy)
            let dw = conv.weight.gradient
            for threads in [2, 3] {
                conv.workspace.threads = threads
                XCTAssertEqual(try conv.forward(x, training: true), y, "forward, \(threads) threads")
                conv.weight.zeroGradient()
                XCTAssertEqual(try conv.backward(dy), dx, "input gradient, \(threads) threads")
                XCTAssertLessThan(try GradientCheck.relativeError(conv.weight.gradient, dw), 1e-6)
            }
            conv.workspace.threads = 1
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

    func testGradientsOnALargerBatch() throws {
        var generator = SeededGenerator(seed: 3)
        let conv = try Conv2d(
            inputChannels: 1, outputChannels: 2, kernelSize: 3, stride: 1, padding: 1,
            generator: &generator)
        // A batch of 9 16×16 maps: the last image's gradients must be as right as the first's.
        let x = GradientCheck.randomTensor([9, 1, 16, 16], generator: &generator)
        let weights = GradientCheck.randomTensor([9, 2, 16, 16], generator: &generator)
        _ = try conv.forward(x, training: true)
        conv.weight.zeroGradient()
        let dx = try conv.backward(weights)
        let numericWeight = try GradientCheck.numericalGradient(of: conv.weight, epsilon: 1e-2) {
            GradientCheck.projection(try conv.forward(x, training: true), onto: weights)
        }
        XCTAssertLessThan(try GradientCheck.relativeError(conv.weight.gradient, numericWeight), 1e-2)
        // One input gradient of the last image, by central differences.
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
