/// Batch normalisation over the channels of NCHW input, as PyTorch's BatchNorm2d: training uses the
/// batch statistics (biased variance) and updates running averages with the unbiased variance;
/// inference uses the running statistics.
public final class BatchNorm2d: Layer {
    public let channels: Int
    public let epsilon: Float
    public let momentum: Float
    /// γ, initialised to 1.
    public let weight: Parameter
    /// β, initialised to 0.
    public let bias: Parameter
    public var runningMean: Tensor
    public var runningVariance: Tensor

    private var normalized = Tensor(zeros: [0])
    private var inverseStd = [Float]()
    private var lastTraining = false
    private var lastShape = [Int]()

    public init(channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) throws {
        guard channels > 0 else {
            throw TensorError.invalidArgument("BatchNorm2d needs a positive channel count, got \(channels)")
        }
        guard epsilon > 0, momentum >= 0, momentum <= 1 else {
            throw TensorError.invalidArgument(
                "BatchNorm2d: epsilon must be > 0 and momentum in [0, 1], got \(epsilon), \(momentum)")
        }
        self.channels = channels
        self.epsilon = epsilon
        self.momentum = momentum
        weight = Parameter(Tensor(repeating: 1, shape: [channels]), role: .normalization)
        bias = Parameter(Tensor(zeros: [channels]), role: .normalization)
        runningMean = Tensor(zeros: [channels])
        runningVariance = Tensor(repeating: 1, shape: [channels])
    }

    public var parameters: [Parameter] { [weight, bias] }

    /// Per-channel scale and shift that inference applies: y = scale · x + shift.
    public func inferenceAffine() -> (scale: [Float], shift: [Float]) {
        var scale = [Float](repeating: 0, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            let s = weight.value[flat: c] / (runningVariance[flat: c] + epsilon).squareRoot()
            scale[c] = s
            shift[c] = bias.value[flat: c] - runningMean[flat: c] * s
        }
        return (scale, shift)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.checkRank(4, "BatchNorm2d input")
        guard input.shape[1] == channels else {
            throw TensorError.shapeMismatch(
                "BatchNorm2d input: expected \(channels) channels, got shape \(input.shape)")
        }
        let batch = input.shape[0]
        let plane = input.shape[2] * input.shape[3]
        let count = batch * plane
        if training && count < 2 {
            throw TensorError.invalidArgument(
                "BatchNorm2d in training needs more than one value per channel, got shape \(input.shape)")
        }
        var output = Tensor(shape: input.shape) { _ in }
        lastTraining = training
        lastShape = input.shape
        inverseStd = [Float](repeating: 0, count: channels)
        normalized.resize(to: input.shape)
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                normalized.withUnsafeMutableBufferPointer { xhat in
                    for c in 0..<channels {
                        let gamma = weight.value[flat: c]
                        let beta = bias.value[flat: c]
                        if training {
                            // Per-plane SIMD sums, accumulated across planes in double precision.
                            var sum: Double = 0
                            for n in 0..<batch {
                                let row = x.baseAddress! + (n * channels + c) * plane
                                sum += Double(VectorMath.sum(row, count: plane))
                            }
                            let mean = sum / Double(count)
                            var squares: Double = 0
                            for n in 0..<batch {
                                let row = x.baseAddress! + (n * channels + c) * plane
                                squares += Double(VectorMath.squaredDeviation(row, count: plane, mean: Float(mean)))
                            }
                            let variance = squares / Double(count)
                            let invStd = Float(1 / (variance + Double(epsilon)).squareRoot())
                            inverseStd[c] = invStd
                            let meanF = Float(mean)
                            for n in 0..<batch {
                                // Local pointers: through the buffers the loop would reload its
                                // bases every iteration (possible aliasing) and not vectorise.
                                let offset = (n * channels + c) * plane
                                let source = x.baseAddress! + offset
                                let normalizedRow = xhat.baseAddress! + offset
                                let outputRow = y.baseAddress! + offset
                                for i in 0..<plane {
                                    let normalizedValue = (source[i] - meanF) * invStd
                                    normalizedRow[i] = normalizedValue
                                    outputRow[i] = gamma * normalizedValue + beta
                                }
                            }
                            runningMean[flat: c] = (1 - momentum) * runningMean[flat: c] + momentum * meanF
                            let unbiased = Float(variance * Double(count) / Double(count - 1))
                            runningVariance[flat: c] =
                                (1 - momentum) * runningVariance[flat: c] + momentum * unbiased
                        } else {
                            let invStd = 1 / (runningVariance[flat: c] + epsilon).squareRoot()
                            inverseStd[c] = invStd
                            let scale = gamma * invStd
                            let shift = beta - runningMean[flat: c] * scale
                            for n in 0..<batch {
                                let offset = (n * channels + c) * plane
                                let mean = runningMean[flat: c]
                                for i in 0..<plane {
                                    xhat[offset + i] = (x[offset + i] - mean) * invStd
                                    y[offset + i] = x[offset + i] * scale + shift
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard !lastShape.isEmpty else {
            throw TensorError.invalidState("BatchNorm2d.backward called before forward")
        }
        try outputGradient.checkShape(lastShape, "BatchNorm2d output gradient")
        let batch = lastShape[0]
        let plane = lastShape[2] * lastShape[3]
        let count = Float(batch * plane)
        var inputGradient = Tensor(shape: lastShape) { _ in }
        outputGradient.withUnsafeBufferPointer { dy in
            inputGradient.withUnsafeMutableBufferPointer { dx in
                normalized.withUnsafeBufferPointer { xhat in
                    for c in 0..<channels {
                        let gamma = weight.value[flat: c]
                        let invStd = inverseStd[c]
                        var sumDy: Double = 0
                        var sumDyXhat: Double = 0
                        for n in 0..<batch {
                            let offset = (n * channels + c) * plane
                            sumDy += Double(VectorMath.sum(dy.baseAddress! + offset, count: plane))
                            sumDyXhat += Double(
                                VectorMath.dot(dy.baseAddress! + offset, xhat.baseAddress! + offset, count: plane))
                        }
                        bias.gradient[flat: c] += Float(sumDy)
                        weight.gradient[flat: c] += Float(sumDyXhat)
                        if lastTraining {
                            let meanDy = Float(sumDy) / count
                            let meanDyXhat = Float(sumDyXhat) / count
                            let factor = gamma * invStd
                            for n in 0..<batch {
                                let offset = (n * channels + c) * plane
                                let gradient = dy.baseAddress! + offset
                                let normalizedRow = xhat.baseAddress! + offset
                                let inputRow = dx.baseAddress! + offset
                                for i in 0..<plane {
                                    inputRow[i] = factor * (gradient[i] - meanDy - normalizedRow[i] * meanDyXhat)
                                }
                            }
                        } else {
                            // Inference mode: the statistics are constants, so the layer is affine.
                            let factor = gamma * invStd
                            for n in 0..<batch {
                                let offset = (n * channels + c) * plane
                                for i in 0..<plane { dx[offset + i] = factor * dy[offset + i] }
                            }
                        }
                    }
                }
            }
        }
        return inputGradient
    }
}
