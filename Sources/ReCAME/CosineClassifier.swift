import Tensor

/// z = scale · cos(f, w_c) + b_c: both the features and the class weights are L2-normalised.
/// Weights start uniform in ±1/√F and the bias at 0, as in the reference implementation.
public final class CosineClassifier: Layer {
    public let features: Int
    public let classes: Int
    public let scale: Float
    public let weight: Parameter
    public let bias: Parameter
    private let featureNormalization = L2Normalization()
    private let weightNormalization = L2Normalization()
    private var normalizedFeatures = Tensor(zeros: [0])
    private var normalizedWeights = Tensor(zeros: [0])

    public init(features: Int, classes: Int, scale: Float, generator: inout SeededGenerator) throws {
        guard features > 0, classes > 0, scale > 0 else {
            throw TensorError.invalidArgument(
                "cosine classifier needs positive sizes and scale, got \(features), \(classes), \(scale)")
        }
        self.features = features
        self.classes = classes
        self.scale = scale
        let bound = 1 / Double(features).squareRoot()
        var w = Tensor(zeros: [classes, features])
        for i in 0..<w.count { w[flat: i] = Float(generator.nextUniform(-bound, bound)) }
        weight = Parameter(w, role: .weight)
        bias = Parameter(Tensor(zeros: [classes]), role: .bias)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func forward(_ input: Tensor, training: Bool) throws -> Tensor {
        try input.checkRank(2, "cosine classifier input")
        guard input.shape[1] == features else {
            throw TensorError.shapeMismatch(
                "cosine classifier input: expected \(features) features, got shape \(input.shape)")
        }
        normalizedFeatures = try featureNormalization.forward(input, training: training)
        normalizedWeights = try weightNormalization.forward(weight.value, training: training)
        var logits = try matrixProduct(normalizedFeatures, normalizedWeights, transposeB: true)
        let batch = input.shape[0]
        logits.withUnsafeMutableBufferPointer { z in
            bias.value.withUnsafeBufferPointer { b in
                for n in 0..<batch {
                    for c in 0..<classes { z[n * classes + c] = scale * z[n * classes + c] + b[c] }
                }
            }
        }
        return logits
    }

    public func backward(_ outputGradient: Tensor) throws -> Tensor {
        try outputGradient.checkShape([normalizedFeatures.shape[0], classes], "cosine logits gradient")
        let scaled = outputGradient.scaled(by: scale)
        let featureGradient = try matrixProduct(scaled, normalizedWeights)
        let weightGradient = try matrixProduct(scaled, normalizedFeatures, transposeA: true)
        try weight.gradient.add(weightNormalization.backward(weightGradient))
        let batch = outputGradient.shape[0]
        for n in 0..<batch {
            for c in 0..<classes { bias.gradient[flat: c] += outputGradient[flat: n * classes + c] }
        }
        return try featureNormalization.backward(featureGradient)
    }
}
