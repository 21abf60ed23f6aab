import Foundation

/// A 2-D convolution over NCHW input, weights [out, in, k, k], no bias unless asked for.
public final class Conv2d: Layer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// Scratch memory; layers of one network may share a single workspace.
    public var workspace: ConvolutionWorkspace

    private var cachedInput: Tensor?
    private var cachedGeometry: ConvolutionGeometry?

    /// Weights are drawn Kaiming-normal with fan-out (std √(2 / (out·k·k))), as PyTorch's ResNet
    /// code initialises convolutions; a bias, when present, is uniform in ±1/√(fan-in).
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = false, generator: inout SeededGenerator,
        workspace: ConvolutionWorkspace = ConvolutionWorkspace()
    ) throws {
        guard inputChannels > 0, outputChannels > 0, kernelSize > 0, stride > 0, padding >= 0 else {
            throw TensorError.invalidArgument(
                "Conv2d(in: \(inputChannels), out: \(outputChannels), kernel: \(kernelSize), "
                    + "stride: \(stride), padding: \(padding)) has a non-positive size")
        }
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.workspace = workspace
        let shape = [outputChannels, inputChannels, kernelSize, kernelSize]
        let std = (2.0 / Double(outputChannels * kernelSize * kernelSize)).squareRoot()
        var values = Tensor(zeros: shape)
        for i in 0..<values.count { values[flat: i] = Float(std * generator.nextNormal()) }
        weight = Parameter(values, role: .weight)
        if bias {
            let bound = 1 / Double(inputChannels * kernelSize * kernelSize).squareRoot()
            var biasValues = Tensor(zeros: [outputChannels])
            for i in 0..<outputChannels {
                biasValues[flat: i] = Float(generator.nextUniform(-bound, bound))
            }
            self.bias = Parameter(biasValues, role: .bias)
        } else {
            self.bias = nil
        }
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    func geometry(for input: Tensor) throws -> ConvolutionGeometry {
        try input.checkRank(4, "Conv2d input")
        guard input.shape[1] == inputChannels else {
            throw TensorError.shapeMismatch(
                "Conv2d input: expected \(inputChannels) channels, got shape \(input.shape)")
        }
        return try ConvolutionGeometry(
            channels: inputChannels, height: input.shape[2], width: input.shape[3], kernel: kernelSize,
            stride: stride, padding: padding)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        let geometry = try geometry(for: input)
        let batch = input.shape[0]
        guard batch > 0 else { throw TensorError.shapeMismatch("Conv2d input is an empty batch: \(input.shape)") }
        var output = Tensor(zeros: [batch, outputChannels, geometry.outputHeight, geometry.outputWidth])
        withOptionalPointer(bias?.value) { b in
            input.withUnsafeBufferPointer { x in
                weight.value.withUnsafeBufferPointer { w in
                    output.withUnsafeMutableBufferPointer { y in
                        ConvolutionKernel.forward(
                            geometry: geometry, outputChannels: outputChannels, batch: batch,
                            input: x.baseAddress!, weight: w.baseAddress!, bias: b, relu: false,
                            output: y.baseAddress!, workspace: workspace)
                    }
                }
            }
        }
        cachedInput = input
        cachedGeometry = geometry
        return output
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let input = cachedInput, let geometry = cachedGeometry else {
            throw TensorError.invalidState("Conv2d.backward called before forward")
        }
        let batch = input.shape[0]
        try outputGradient.checkShape(
            [batch, outputChannels, geometry.outputHeight, geometry.outputWidth], "Conv2d output gradient")
        var inputGradient = Tensor(zeros: input.shape)
        input.withUnsafeBufferPointer { x in
            weight.value.withUnsafeBufferPointer { w in
                outputGradient.withUnsafeBufferPointer { dy in
                    weight.gradient.withUnsafeMutableBufferPointer { dw in
                        inputGradient.withUnsafeMutableBufferPointer { dx in
                            ConvolutionKernel.backward(
                                geometry: geometry, outputChannels: outputChannels, batch: batch,
                                input: x.baseAddress!, weight: w.baseAddress!, outputGradient: dy.baseAddress!,
                                weightGradient: dw.baseAddress!, inputGradient: dx.baseAddress!,
                                workspace: workspace)
                        }
                    }
                }
            }
        }
        if let bias {
            let plane = geometry.outputPlane
            outputGradient.withUnsafeBufferPointer { dy in
                bias.gradient.withUnsafeMutableBufferPointer { db in
                    for n in 0..<batch {
                        for c in 0..<outputChannels {
                            let row = dy.baseAddress! + (n * outputChannels + c) * plane
                            var sum: Float = 0
                            for i in 0..<plane { sum += row[i] }
                            db[c] += sum
                        }
                    }
                }
            }
        }
        return inputGradient
    }

    /// Drops the tensors kept for the backward pass.
    public func clearCache() {
        cachedInput = nil
    }
}
