/// An inference-only convolution with a per-channel bias and an optional ReLU fused into the
/// write-out; BatchNorm is folded into its weights (w' = w · γ/√(σ² + ε), b' = β − μ · γ/√(σ² + ε)).
public struct FusedConvolution: Sendable {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let relu: Bool
    /// [out, in, k, k].
    public let weight: Tensor
    /// [out].
    public let bias: Tensor

    public init(weight: Tensor, bias: Tensor, stride: Int, padding: Int, relu: Bool) throws {
        try weight.checkRank(4, "fused convolution weight")
        guard weight.shape[2] == weight.shape[3] else {
            throw TensorError.shapeMismatch("fused convolution weight must be square, got \(weight.shape)")
        }
        try bias.checkShape([weight.shape[0]], "fused convolution bias")
        guard stride > 0, padding >= 0 else {
            throw TensorError.invalidArgument(
                "fused convolution stride \(stride) / padding \(padding) out of range")
        }
        outputChannels = weight.shape[0]
        inputChannels = weight.shape[1]
        kernelSize = weight.shape[2]
        self.stride = stride
        self.padding = padding
        self.relu = relu
        self.weight = weight
        self.bias = bias
    }

    /// Folds `batchNorm` (running statistics) into `convolution`.
    public init(folding convolution: Conv2d, into batchNorm: BatchNorm2d, relu: Bool) throws {
        guard batchNorm.channels == convolution.outputChannels else {
            throw TensorError.shapeMismatch(
                "cannot fold BatchNorm of \(batchNorm.channels) channels into a convolution with "
                    + "\(convolution.outputChannels) outputs")
        }
        let (scale, shift) = batchNorm.inferenceAffine()
        var weight = convolution.weight.value
        let perOutput = weight.count / convolution.outputChannels
        weight.withUnsafeMutableBufferPointer { w in
            for o in 0..<convolution.outputChannels {
                for i in 0..<perOutput { w[o * perOutput + i] *= scale[o] }
            }
        }
        var bias = try Tensor(shape: [convolution.outputChannels], scalars: shift)
        if let convolutionBias = convolution.bias {
            for o in 0..<convolution.outputChannels {
                bias[flat: o] += convolutionBias.value[flat: o] * scale[o]
            }
        }
        try self.init(
            weight: weight, bias: bias, stride: convolution.stride, padding: convolution.padding,
            relu: relu)
    }

    /// The output shape for an input of shape [N, C, H, W].
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        let geometry = try self.geometry(for: inputShape)
        return [inputShape[0], outputChannels, geometry.outputHeight, geometry.outputWidth]
    }

    func geometry(for shape: [Int]) throws -> ConvolutionGeometry {
        guard shape.count == 4, shape[1] == inputChannels else {
            throw TensorError.shapeMismatch(
                "fused convolution input: expected [N, \(inputChannels), H, W], got \(shape)")
        }
        return try ConvolutionGeometry(
            channels: inputChannels, height: shape[2], width: shape[3], kernel: kernelSize,
            stride: stride, padding: padding)
    }

    /// Writes the convolution of `input` into `output`, reshaping it and reusing its storage.
    public func apply(_ input: Tensor, into output: inout Tensor, workspace: ConvolutionWorkspace)
        throws
    {
        let geometry = try geometry(for: input.shape)
        let batch = input.shape[0]
        guard batch > 0 else {
            throw TensorError.shapeMismatch("fused convolution input is an empty batch: \(input.shape)")
        }
        output.resize(to: [batch, outputChannels, geometry.outputHeight, geometry.outputWidth])
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                bias.withUnsafeBufferPointer { b in
                    output.withUnsafeMutableBufferPointer { y in
                        ConvolutionKernel.forward(
                            geometry: geometry, outputChannels: outputChannels, batch: batch,
                            input: x.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!, relu: relu,
                            output: y.baseAddress!, workspace: workspace)
                    }
                }
            }
        }
    }
}
