/// Central finite differences, for verifying backward passes (tests, and new layers in the field).
public enum GradientCheck {
    /// ∂f/∂x by central differences, perturbing each scalar of `point` by ±epsilon.
    public static func numericalGradient(
        at point: Tensor, epsilon: Float, _ function: (Tensor) throws -> Double
    ) rethrows -> Tensor {
        var gradient = Tensor(zeros: point.shape)
        var probe = point
        for i in 0..<point.count {
            let original = probe[flat: i]
            probe[flat: i] = original + epsilon
            let plus = try function(probe)
            probe[flat: i] = original - epsilon
            let minus = try function(probe)
            probe[flat: i] = original
            // The step actually taken, after Float rounding of original ± epsilon.
            let step = Double(original + epsilon) - Double(original - epsilon)
            gradient[flat: i] = Float((plus - minus) / step)
        }
        return gradient
    }

    /// ∂f/∂θ for a parameter, perturbing its value in place and restoring it afterwards.
    public static func numericalGradient(
        of parameter: Parameter, epsilon: Float, _ function: () throws -> Double
    ) rethrows -> Tensor {
        let original = parameter.value
        defer { parameter.value = original }
        return try numericalGradient(at: original, epsilon: epsilon) { probe in
            parameter.value = probe
            return try function()
        }
    }

    /// ‖a − b‖ / max(‖a‖, ‖b‖, floor): a scale-free distance between two gradients.
    public static func relativeError(_ a: Tensor, _ b: Tensor, floor: Double = 1e-6) throws -> Double {
        guard a.shape == b.shape else {
            throw TensorError.shapeMismatch("relativeError: shapes \(a.shape) and \(b.shape) differ")
        }
        var difference = 0.0
        var normA = 0.0
        var normB = 0.0
        for i in 0..<a.count {
            let x = Double(a[flat: i])
            let y = Double(b[flat: i])
            difference += (x - y) * (x - y)
            normA += x * x
            normB += y * y
        }
        return difference.squareRoot() / max(normA.squareRoot(), normB.squareRoot(), floor)
    }

    /// Σ r ⊙ y in double precision: a scalar whose gradient with respect to y is exactly r, used to
    /// reduce a layer's output to a loss for checking.
    public static func projection(_ output: Tensor, onto weights: Tensor) -> Double {
        var total = 0.0
        for i in 0..<output.count { total += Double(output[flat: i]) * Double(weights[flat: i]) }
        return total
    }

    /// A tensor of standard-normal scalars.
    public static func randomTensor(_ shape: [Int], generator: inout SeededGenerator, scale: Float = 1)
        -> Tensor
    {
        var result = Tensor(zeros: shape)
        for i in 0..<result.count { result[flat: i] = scale * Float(generator.nextNormal()) }
        return result
    }
}
