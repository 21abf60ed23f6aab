import Foundation

/// The logistic function 1 / (1 + e^−x), elementwise.
public final class Sigmoid: Layer {
    private var output = Tensor(zeros: [0])

    public init() {}

    @inline(__always)
    public static func value(_ x: Float) -> Float {
        // Two branches keep exp from overflowing for large |x|.
        if x >= 0 {
            return 1 / (1 + exp(-x))
        }
        let e = exp(x)
        return e / (1 + e)
    }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        var result = input
        result.withUnsafeMutableBufferPointer { y in
            for i in y.indices { y[i] = Sigmoid.value(y[i]) }
        }
        output = result
        return result
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        try outputGradient.checkShape(output.shape, "Sigmoid output gradient")
        var inputGradient = outputGradient
        output.withUnsafeBufferPointer { y in
            inputGradient.withUnsafeMutableBufferPointer { dx in
                for i in dx.indices { dx[i] *= y[i] * (1 - y[i]) }
            }
        }
        return inputGradient
    }
}
