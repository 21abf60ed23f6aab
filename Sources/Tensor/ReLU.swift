/// max(x, 0); the backward pass lets the gradient through where the output is positive.
public final class ReLU: Layer {
    private var output = Tensor(zeros: [0])

    public init() {}

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        if input.count == 0 {
            output = input
            return input
        }
        let result = input.withUnsafeBufferPointer { x in
            Tensor(shape: input.shape) { y in
                VectorMath.relu(x.baseAddress!, into: y.baseAddress!, count: x.count)
            }
        }
        output = result
        return result
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        try outputGradient.checkShape(output.shape, "ReLU output gradient")
        if output.count == 0 { return outputGradient }
        return output.withUnsafeBufferPointer { y in
            outputGradient.withUnsafeBufferPointer { dy in
                Tensor(shape: output.shape) { dx in
                    VectorMath.reluGradient(
                        output: y.baseAddress!, outputGradient: dy.baseAddress!, into: dx.baseAddress!, count: y.count)
                }
            }
        }
    }
}
