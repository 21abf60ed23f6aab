/// max(x, 0); the backward pass lets the gradient through where the output is positive.
public final class ReLU: Layer {
    private var output = Tensor(zeros: [0])

    public init() {}

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        var result = input
        result.withUnsafeMutableBufferPointer { y in
            for i in y.indices { y[i] = max(y[i], 0) }
        }
        output = result
        return result
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        try outputGradient.checkShape(output.shape, "ReLU output gradient")
        var inputGradient = outputGradient
        output.withUnsafeBufferPointer { y in
            inputGradient.withUnsafeMutableBufferPointer { dx in
                for i in dx.indices where y[i] <= 0 { dx[i] = 0 }
            }
        }
        return inputGradient
    }
}
