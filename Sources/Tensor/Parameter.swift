/// What a parameter is, so that optimisers can treat weights, biases and normalisation
/// parameters differently (e.g. no weight decay on BatchNorm and bias).
public enum ParameterRole: Sendable {
    case weight
    case bias
    case normalization
}

/// A trainable tensor and its accumulated gradient (same shape).
public final class Parameter {
    public var value: Tensor
    public var gradient: Tensor
    public let role: ParameterRole

    public init(_ value: Tensor, role: ParameterRole) {
        self.value = value
        self.gradient = Tensor(zeros: value.shape)
        self.role = role
    }

    public func zeroGradient() {
        gradient.fill(0)
    }

    /// Replaces the value with `newValue`, which must have the parameter's shape.
    public func assign(_ newValue: Tensor, name: String) throws {
        try newValue.checkShape(value.shape, name)
        value = newValue
    }
}

/// A layer with a forward pass that remembers what its backward pass needs.
///
/// `backward` takes the gradient of the loss with respect to the last forward output, adds the
/// parameter gradients into `Parameter.gradient`, and returns the gradient with respect to the input.
public protocol Layer: AnyObject {
    func forward(_ input: Tensor, training: Bool) throws -> Tensor
    func backward(_ outputGradient: Tensor) throws -> Tensor
    var parameters: [Parameter] { get }
}

extension Layer {
    public var parameters: [Parameter] { [] }
}
