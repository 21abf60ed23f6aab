/// A fully connected layer y = x · Wᵀ + b, x [N, in], W [out, in], b [out] (as PyTorch's Linear,
/// initialised uniform in ±1/√in for both weight and bias).
public final class Linear: Layer {
    public let inputFeatures: Int
    public let outputFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    private var cachedInput: Tensor?

    public init(
        inputFeatures: Int, outputFeatures: Int, bias: Bool = true, generator: inout SeededGenerator
    ) throws {
        guard inputFeatures > 0, outputFeatures > 0 else {
            throw TensorError.invalidArgument(
                "Linear(\(inputFeatures) → \(outputFeatures)) needs positive sizes")
        }
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        let bound = 1 / Double(inputFeatures).squareRoot()
        var w = Tensor(zeros: [outputFeatures, inputFeatures])
        for i in 0..<w.count { w[flat: i] = Float(generator.nextUniform(-bound, bound)) }
        weight = Parameter(w, role: .weight)
        if bias {
            var b = Tensor(zeros: [outputFeatures])
            for i in 0..<outputFeatures { b[flat: i] = Float(generator.nextUniform(-bound, bound)) }
            self.bias = Parameter(b, role: .bias)
        } else {
            self.bias = nil
        }
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.checkRank(2, "Linear input")
        guard input.shape[1] == inputFeatures else {
            throw TensorError.shapeMismatch(
                "Linear input: expected \(inputFeatures) features, got shape \(input.shape)")
        }
        var output = Tensor(zeros: [0])
        try Linear.apply(input: input, weight: weight.value, bias: bias?.value, into: &output)
        cachedInput = input
        return output
    }

    /// y = x · Wᵀ + b for x [N, in], W [out, in], b [out], written into `output` (reshaped to
    /// [N, out], its storage reused), so that inference loops need not allocate.
    public static func apply(input: Tensor, weight: Tensor, bias: Tensor?, into output: inout Tensor)
        throws
    {
        try input.checkRank(2, "affine input")
        try weight.checkRank(2, "affine weight")
        guard input.shape[1] == weight.shape[1] else {
            throw TensorError.shapeMismatch(
                "affine: input \(input.shape) does not match weight \(weight.shape)")
        }
        if let bias { try bias.checkShape([weight.shape[0]], "affine bias") }
        let batch = input.shape[0]
        let outFeatures = weight.shape[0]
        let inFeatures = weight.shape[1]
        output.resize(to: [batch, outFeatures])
        if batch == 0 || outFeatures == 0 { return }
        if inFeatures == 0 {
            output.fill(0)
            if let bias {
                for n in 0..<batch { for o in 0..<outFeatures { output[flat: n * outFeatures + o] = bias[flat: o] } }
            }
            return
        }
        output.withUnsafeMutableBufferPointer { y in
            if let bias {
                bias.withUnsafeBufferPointer { b in
                    for n in 0..<batch {
                        (y.baseAddress! + n * outFeatures).update(from: b.baseAddress!, count: outFeatures)
                    }
                }
            }
            input.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    BLAS.gemm(
                        transposeA: false, transposeB: true, m: batch, n: outFeatures, k: inFeatures,
                        a: x.baseAddress!, lda: inFeatures, b: w.baseAddress!, ldb: inFeatures,
                        beta: bias == nil ? 0 : 1, c: y.baseAddress!, ldc: outFeatures)
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard let input = cachedInput else {
            throw TensorError.invalidState("Linear.backward called before forward")
        }
        let batch = input.shape[0]
        try outputGradient.checkShape([batch, outputFeatures], "Linear output gradient")
        var inputGradient = Tensor(zeros: [batch, inputFeatures])
        if batch == 0 { return inputGradient }
        outputGradient.withUnsafeBufferPointer { dy in
            input.withUnsafeBufferPointer { x in
                weight.gradient.withUnsafeMutableBufferPointer { dw in
                    BLAS.gemm(
                        transposeA: true, transposeB: false, m: outputFeatures, n: inputFeatures, k: batch,
                        a: dy.baseAddress!, lda: outputFeatures, b: x.baseAddress!, ldb: inputFeatures,
                        beta: 1, c: dw.baseAddress!, ldc: inputFeatures)
                }
            }
            weight.value.withUnsafeBufferPointer { w in
                inputGradient.withUnsafeMutableBufferPointer { dx in
                    BLAS.gemm(
                        transposeA: false, transposeB: false, m: batch, n: inputFeatures, k: outputFeatures,
                        a: dy.baseAddress!, lda: outputFeatures, b: w.baseAddress!, ldb: inputFeatures,
                        beta: 0, c: dx.baseAddress!, ldc: inputFeatures)
                }
            }
            if let bias {
                bias.gradient.withUnsafeMutableBufferPointer { db in
                    for n in 0..<batch {
                        for o in 0..<outputFeatures { db[o] += dy[n * outputFeatures + o] }
                    }
                }
            }
        }
        return inputGradient
    }
}
