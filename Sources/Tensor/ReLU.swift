/// max(x, 0); the backward pass lets the gradient through where the output is positive.
public final class ReLU: Layer {
    private var output = Tensor(zeros: [0])

    public init() {}

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        let result = input.withUnsafeBufferPointer { x in
            Tensor(shape: input.shape) { y in
                for i in 0..<x.count { y[i] = max(x[i], 0) }
            }
        }
        output = result
        return result
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        try outputGradient.checkShape(output.shape, "ReLU output gradient")
        return output.withUnsafeBufferPointer { y in
            outputGradient.withUnsafeBufferPointer { dy in
                Tensor(shape: output.shape) { dx in
                    for i in 0..<y.count { dx[i] = y[i] > 0 ? dy[i] : 0 }
                }
            }
        }
    }
}
