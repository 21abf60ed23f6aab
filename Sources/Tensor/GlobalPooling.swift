/// Global average pooling: [N, C, H, W] → [N, C].
public final class GlobalAveragePool: Layer {
    private var inputShape = [Int]()

    public init() {}

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.checkRank(4, "GlobalAveragePool input")
        let (batch, channels) = (input.shape[0], input.shape[1])
        let plane = input.shape[2] * input.shape[3]
        guard plane > 0 else {
            throw TensorError.shapeMismatch("GlobalAveragePool input has an empty plane: \(input.shape)")
        }
        inputShape = input.shape
        var output = Tensor(zeros: [batch, channels])
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for row in 0..<(batch * channels) {
                    y[row] = VectorMath.sum(x.baseAddress! + row * plane, count: plane) / Float(plane)
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard !inputShape.isEmpty else {
            throw TensorError.invalidState("GlobalAveragePool.backward called before forward")
        }
        try outputGradient.checkShape(Array(inputShape[0..<2]), "GlobalAveragePool output gradient")
        let plane = inputShape[2] * inputShape[3]
        var inputGradient = Tensor(zeros: inputShape)
        outputGradient.withUnsafeBufferPointer { dy in
            inputGradient.withUnsafeMutableBufferPointer { dx in
                for row in 0..<dy.count {
                    let value = dy[row] / Float(plane)
                    (dx.baseAddress! + row * plane).update(repeating: value, count: plane)
                }
            }
        }
        return inputGradient
    }
}

/// Global max pooling: [N, C, H, W] → [N, C]; the gradient goes to the first maximum.
public final class GlobalMaxPool: Layer {
    private var inputShape = [Int]()
    private var argmax = [Int]()

    public init() {}

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.checkRank(4, "GlobalMaxPool input")
        let (batch, channels) = (input.shape[0], input.shape[1])
        let plane = input.shape[2] * input.shape[3]
        guard plane > 0 else {
            throw TensorError.shapeMismatch("GlobalMaxPool input has an empty plane: \(input.shape)")
        }
        inputShape = input.shape
        argmax = [Int](repeating: 0, count: batch * channels)
        var output = Tensor(zeros: [batch, channels])
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for row in 0..<(batch * channels) {
                    let start = row * plane
                    var best = start
                    for i in start..<(start + plane) where x[i] > x[best] { best = i }
                    argmax[row] = best
                    y[row] = x[best]
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        guard !inputShape.isEmpty else {
            throw TensorError.invalidState("GlobalMaxPool.backward called before forward")
        }
        try outputGradient.checkShape(Array(inputShape[0..<2]), "GlobalMaxPool output gradient")
        var inputGradient = Tensor(zeros: inputShape)
        for row in 0..<argmax.count {
            inputGradient[flat: argmax[row]] = outputGradient[flat: row]
        }
        return inputGradient
    }
}
